"""Pages of quotes: the seller's list, builder and detail, and the buyer's public page.
Each view parses, authorizes through the portal (or the token), calls one service or
selector, and renders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from commerce.documents.forms import SendForm, line_rows
from commerce.documents.lines import LineInput
from commerce.documents.views import (
    editor_response,
    for_buyer,
    pdf_response,
    preview_response,
    typed_preview,
)
from commerce.forms import submitted
from commerce.portals.access import (
    current_portal,
    has_permission,
    portal_view,
)
from commerce.portals.http import AuthenticatedHttpRequest
from payments.checkout import CheckoutError, NotAcceptingPayments
from payments.stripe import StripeServiceError

from . import emails, selectors, services
from .forms import (
    AcceptForm,
    DeclineForm,
    LineFormSet,
    QuoteFilterForm,
    QuoteForm,
    QuoteSettingsForm,
)
from .models import Quote, QuoteStatus
from .payment import quote_pay_refusal, quote_pay_start
from .pdf import render_quote_pdf
from .pricing import QuoteTotals


@portal_view("quotes.view")
def quote_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    portal = current_portal(request)
    filters = QuoteFilterForm(request.GET)
    listing = selectors.quote_list_page(
        portal=portal, page_number=request.GET.get("page"), **filters.values()
    )
    return render(
        request,
        "quotes/list.html",
        {
            "filters": filters,
            "values": filters.values(),
            "page_obj": listing.page,
            "is_empty": listing.is_empty,
            "statuses": QuoteStatus.choices,
            "owners": selectors.quote_owners(portal=portal),
            "notices": selectors.notices_for(portal=portal, user=request.user),
        },
    )


def _builder(request: AuthenticatedHttpRequest, quote: Quote | None) -> HttpResponse:
    portal = current_portal(request)
    initial: dict[str, Any] = {}
    if quote is None:
        quote_settings = services.quote_settings_for(portal=portal)
        initial = {
            "expires_on": services.default_expiry(portal=portal),
            "owner": request.user.pk,
            "terms": quote_settings.default_terms,
            "requires_payment": True,
        }
        form = QuoteForm(*submitted(request), portal=portal, initial=initial)
    else:
        form = QuoteForm(*submitted(request), portal=portal, quote=quote)
    lines = line_rows(LineFormSet, request, portal=portal, document=quote)
    actor = request.user
    return editor_response(
        request,
        quote,
        template="quotes/builder.html",
        form=form,
        lines=lines,
        create=partial(services.quote_create, portal=portal, actor=actor),
        update=partial(services.quote_update, quote=quote, actor=actor) if quote else None,
        created=lambda quote: f"{quote.display_number} saved as a draft.",
        price=_pricing(form),
        contents=selectors.quote_document,
        context={"quote": quote},
    )


def _pricing(form: QuoteForm) -> Callable[[Sequence[LineInput]], QuoteTotals]:
    """Prices what is being typed with the quote discount typed (nothing is saved)."""

    def price(line_inputs: Sequence[LineInput]) -> QuoteTotals:
        # A missing title must not hide the totals: cleaned_data keeps the valid fields.
        form.is_valid()
        discount: dict[str, Any] = {
            k: form.cleaned_data.get(k) for k in ("discount_percent", "discount_amount")
        }
        return services.price_lines(line_inputs, **discount)

    return price


@portal_view("quotes.edit")
def quote_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _builder(request, None)


@portal_view("quotes.edit")
def quote_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    quote = selectors.quote_get(portal=current_portal(request), pk=pk)
    if quote.is_locked:
        messages.error(
            request,
            f"{quote.display_number} is {quote.get_status_display().lower()}: revert it to draft to edit it.",
        )
        return redirect(quote)
    return _builder(request, quote)


@require_POST
@portal_view("quotes.edit")
def quote_preview(request: HttpRequest) -> JsonResponse:
    """Live totals for the builder: the server prices what is typed; nothing is saved."""
    portal = current_portal(request)
    form = QuoteForm(request.POST, portal=portal)
    lines = line_rows(LineFormSet, request, portal=portal)
    return preview_response(request, lines, typed_preview(lines, _pricing(form)))


@portal_view("quotes.view")
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    quote = selectors.quote_detail(portal=current_portal(request), pk=pk)
    return render(
        request,
        "quotes/detail.html",
        {
            "doc": selectors.quote_document(quote),
            "quote": quote,
            "events": selectors.quote_events(quote),
            "can_edit": has_permission(request, "quotes.edit"),
            "send_form": SendForm(),
            "public_url": services.public_url(quote) if quote.public_token else "",
        },
    )


def _transition(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    quote = selectors.quote_get(portal=current_portal(request), pk=pk)
    actor = request.user
    try:
        if action == "publish":
            quote = services.quote_publish(quote=quote, actor=actor)
            note = f"{quote.display_number} is published. Send it to the buyer or share its link."
        elif action == "revert":
            quote = services.quote_revert(quote=quote, actor=actor)
            note = f"{quote.display_number} is a draft again; its public link no longer works."
        elif action == "clone":
            quote = services.quote_clone(quote=quote, actor=actor)
            note = f"Copied to {quote.display_number}, a new draft."
        else:
            form = SendForm(request.POST)
            message = form.cleaned_data["message"] if form.is_valid() else ""
            quote = emails.quote_send(quote=quote, actor=actor, message=message)
            note = f"{quote.display_number} is on its way to {quote.contact.email if quote.contact else 'the buyer'}."
    except services.QuoteError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, note)
    return redirect(quote)


@require_POST
@portal_view("quotes.edit")
def quote_publish(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "publish")


@require_POST
@portal_view("quotes.edit")
def quote_revert(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "revert")


@require_POST
@portal_view("quotes.edit")
def quote_clone(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "clone")


@require_POST
@portal_view("quotes.edit")
def quote_send(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "send")


@portal_view("quotes.view")
def quote_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    quote = selectors.quote_detail(portal=current_portal(request), pk=pk)
    return _pdf_response(quote)


@require_POST
@portal_view("quotes.view")
def notice_dismiss(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    if not services.notice_dismiss(
        portal=current_portal(request),
        user=request.user,
        notice_id=pk,
    ):
        raise Http404("Not found")
    return redirect("quotes:index")


@portal_view("portal.edit")
def quote_settings(request: HttpRequest) -> HttpResponse:
    portal = current_portal(request)
    current = services.quote_settings_for(portal=portal)
    form = QuoteSettingsForm(
        request.POST if request.method == "POST" else None,
        initial={
            "default_expiry_days": current.default_expiry_days,
            "default_terms": current.default_terms,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.quote_settings_update(portal=portal, **form.cleaned_data)
        except services.QuoteError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Quote settings saved.")
            return redirect("quotes:settings")
    return render(request, "quotes/settings.html", {"form": form})


# --- The buyer's pages (no account: the token is the key) ----------------------------


def _pdf_response(quote: Quote) -> HttpResponse:
    return pdf_response(render_quote_pdf(quote), quote.display_number)


def _public_page(
    request: HttpRequest,
    quote: Quote,
    *,
    accept_form: AcceptForm | None = None,
    decline_form: DeclineForm | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    return for_buyer(
        render(
            request,
            "public/quote.html",
            {
                "doc": selectors.quote_document(quote),
                "quote": quote,
                "portal": quote.portal,
                "accept_form": accept_form or AcceptForm(),
                "decline_form": decline_form or DeclineForm(),
                "problem": problem,
            },
            status=status,
        )
    )


def public_quote(request: HttpRequest, token: str) -> HttpResponse:
    return _public_page(request, selectors.quote_for_public(token=token))


def public_quote_pdf(request: HttpRequest, token: str) -> HttpResponse:
    return _pdf_response(selectors.quote_for_public(token=token))


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@require_POST
def public_quote_accept(request: HttpRequest, token: str) -> HttpResponse:
    quote = selectors.quote_for_public(token=token)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        return _public_page(request, quote, accept_form=form, status=400)
    try:
        services.quote_accept(
            quote=quote,
            signed_name=form.cleaned_data["signed_name"],
            agreed_to_terms=form.cleaned_data["agree"],
            ip=_client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    except services.QuoteError as exc:
        return _public_page(request, quote, accept_form=form, problem=str(exc), status=400)
    accepted = selectors.quote_for_public(token=token)
    if quote_pay_refusal(accepted) is None:
        # Straight on to paying; should the checkout not start, the quote page offers it.
        return _pay(request, accepted)
    return redirect("quotes:public", token=token)


def _pay(request: HttpRequest, quote: Quote) -> HttpResponse:
    try:
        checkout = quote_pay_start(quote=quote)
    except services.QuoteError as exc:
        return _public_page(request, quote, problem=str(exc), status=400)
    except NotAcceptingPayments:
        return render(request, "public/not_accepting.html", {"portal": quote.portal}, status=503)
    except (CheckoutError, StripeServiceError) as exc:
        return _public_page(request, quote, problem=exc.user_message, status=503)
    # 303: the card page's reload is a GET, never a second POST.
    response = HttpResponseRedirect(reverse("public:document_checkout", args=[checkout.public_id]))
    response.status_code = 303
    return response


@require_POST
def public_quote_pay(request: HttpRequest, token: str) -> HttpResponse:
    return _pay(request, selectors.quote_for_public(token=token))


@require_POST
def public_quote_decline(request: HttpRequest, token: str) -> HttpResponse:
    quote = selectors.quote_for_public(token=token)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return _public_page(request, quote, decline_form=form, status=400)
    try:
        services.quote_decline(quote=quote, reason=form.cleaned_data["reason"])
    except services.QuoteError as exc:
        return _public_page(request, quote, decline_form=form, problem=str(exc), status=400)
    return redirect("quotes:public", token=token)
