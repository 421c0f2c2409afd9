"""Stripe connection: the settings page, onboarding (Account Links) and disconnecting."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from commerce.portals.access import current_portal, portal_view
from commerce.portals.http import AuthenticatedHttpRequest
from payments import stripe as stripe_api
from payments.connect import services as accounts
from payments.connect.forms import ConnectForm


def _onboarding_urls(request: HttpRequest) -> dict[str, str]:
    return {
        "return_url": request.build_absolute_uri(reverse("payments:onboarding_return")),
        "refresh_url": request.build_absolute_uri(reverse("payments:onboarding_refresh")),
    }


@portal_view("settings.view")
def settings_page(request: HttpRequest) -> HttpResponse:
    context = accounts.connection_context(portal=current_portal(request))
    context["form"] = ConnectForm()
    context["panel_open"] = request.GET.get("connect") == "1"
    context["show_guide"] = request.GET.get("returned") == "1"
    return render(request, "payments/settings.html", context)


@require_POST
@portal_view("stripe.connect")
def connect(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ConnectForm(request.POST)
    if not form.is_valid():
        context = accounts.connection_context(portal=current_portal(request))
        context.update(form=form, panel_open=True)
        return render(request, "payments/settings.html", context, status=400)
    try:
        url = accounts.onboarding_start(
            portal=current_portal(request),
            user=request.user,
            ip=request.META.get("REMOTE_ADDR"),
            confirmed_us=form.cleaned_data["confirm_us"],
            accepted_terms=form.cleaned_data["accept_terms"],
            **_onboarding_urls(request),
        )
    except accounts.ConnectError as exc:
        messages.error(request, str(exc))
        return redirect("payments:settings")
    except stripe_api.StripeServiceError as exc:
        messages.error(request, exc.user_message)
        return redirect("payments:settings")
    return redirect(url)


@portal_view("settings.view")
def onboarding_return(request: HttpRequest) -> HttpResponse:
    """Stripe's return_url carries no state: re-fetch the account (docs.stripe.com/connect/standard-accounts)."""
    account = accounts.account_for_portal(current_portal(request))
    if account is not None and not account.is_disconnected:
        try:
            accounts.account_refresh(account=account)
        except stripe_api.StripeServiceError as exc:
            messages.warning(request, exc.user_message)
    return redirect(reverse("payments:settings") + "?returned=1")


@portal_view("settings.view")
def onboarding_refresh(request: AuthenticatedHttpRequest) -> HttpResponse:
    """refresh_url: the link expired or was used; make a new one and go again."""
    account = accounts.account_for_portal(current_portal(request))
    if account is None or account.is_disconnected or not request.membership.can("stripe.connect"):
        messages.info(request, "That onboarding link has expired.")
        return redirect("payments:settings")
    return _to_new_link(request, account)


@require_POST
@portal_view("stripe.connect")
def onboarding_continue(request: HttpRequest) -> HttpResponse:
    """Onboarding incomplete or Action required: a fresh link to Stripe."""
    account = accounts.account_for_portal(current_portal(request))
    if account is None or account.is_disconnected:
        messages.error(request, "Connect Stripe first.")
        return redirect("payments:settings")
    return _to_new_link(request, account)


def _to_new_link(request: HttpRequest, account) -> HttpResponse:
    try:
        return redirect(accounts.onboarding_link(account=account, **_onboarding_urls(request)))
    except (accounts.ConnectError, stripe_api.StripeServiceError) as exc:
        messages.error(request, getattr(exc, "user_message", str(exc)))
        return redirect("payments:settings")


@require_POST
@portal_view("stripe.connect")
def disconnect(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        accounts.account_disconnect(portal=current_portal(request), user=request.user)
    except accounts.ConnectError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            "Stripe is disconnected. Buyers can't pay until you connect again; your past payments stay.",
        )
    return redirect("payments:settings")


@portal_view("settings.view")
def guide(request: HttpRequest) -> HttpResponse:
    return render(
        request, "payments/guide.html", accounts.connection_context(portal=current_portal(request))
    )
