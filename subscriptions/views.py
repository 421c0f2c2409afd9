"""The subscriptions tool: the list, one subscription's detail, and confirmed changes.

Views parse, resolve the portal and role through `portals.access`, call one selector or
service, and render. Sales reps may view; billing and super admins may change.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from commerce.clock import hub_today
from commerce.portals.access import current_portal, has_permission, portal_view
from commerce.portals.http import AuthenticatedHttpRequest

from . import selectors, services
from .forms import (
    AddItemForm,
    ChangeForm,
    NewSubscriptionForm,
    SubscriptionFilterForm,
    parse_item_changes,
)


def _today():
    return hub_today()


@portal_view("subscriptions.view")
def subscription_list(request: HttpRequest) -> HttpResponse:
    portal = current_portal(request)
    form = SubscriptionFilterForm(request.GET)
    filters = form.filters()
    page = selectors.subscription_list_page(
        portal=portal, filters=filters, page_number=request.GET.get("page")
    )
    return render(
        request,
        "subscriptions/list.html",
        {
            "form": form,
            "filters": filters,
            "page_obj": page,
            "has_any": bool(page.object_list)
            or (filters.active and selectors.portal_has_subscriptions(portal)),
            "can_create": has_permission(request, "subscriptions.edit"),
        },
    )


@portal_view("subscriptions.edit")
def subscription_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    portal = current_portal(request)
    form = NewSubscriptionForm(
        request.POST or None, portal=portal, initial={"start_date": _today()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            subscription = services.subscription_create_manual(
                portal=portal,
                contact=data["contact"],
                product_id=data["product"].pk,
                quantity=data["quantity"],
                start_date=data["start_date"],
                send_card_link=data["send_card_link"],
                actor=request.user,
                today=_today(),
            )
        except services.ChangeRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                "Subscription created."
                + (
                    " The contact was e-mailed a link to set up their card."
                    if not subscription.payment_method_id
                    else ""
                ),
            )
            return redirect("subscriptions:detail", pk=subscription.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "subscriptions/new.html", {"form": form}, status=status)


@portal_view("subscriptions.view")
def subscription_detail(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = selectors.subscription_for_detail(portal=current_portal(request), pk=pk)
    return _render_detail(request, subscription)


@require_POST
@portal_view("subscriptions.edit")
def subscription_change(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    portal = current_portal(request)
    subscription = selectors.subscription_for_detail(portal=portal, pk=pk)
    form = ChangeForm(request.POST)
    if form.is_valid():
        try:
            services.subscription_change(
                portal=portal,
                subscription_id=subscription.pk,
                action=form.cleaned_data["action"],
                new_date=form.cleaned_data.get("new_date"),
                actor=request.user,
                today=_today(),
            )
        except services.ChangeRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Change saved. The buyer was e-mailed about it.")
            return redirect("subscriptions:detail", pk=subscription.pk)
    return _render_detail(request, subscription, change_form=form, status=400)


@require_POST
@portal_view("subscriptions.edit")
def subscription_items(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The items dialog (new quantities and prices, 0 removes) or, with
    `intent=add`, the "Add an item" dialog."""
    portal = current_portal(request)
    subscription = selectors.subscription_for_detail(portal=portal, pk=pk)
    if request.POST.get("intent") == "add":
        return _add_item(request, portal, subscription)
    changes, errors = parse_item_changes(request.POST, selectors.subscription_items(subscription))
    if not request.POST.get("confirm"):
        errors.append("Tick the box to confirm the change.")
    if not errors:
        try:
            services.subscription_items_change(
                portal=portal,
                subscription_id=subscription.pk,
                changes=changes,
                actor=request.user,
                today=_today(),
            )
        except services.ChangeRefused as exc:
            errors.append(str(exc))
        else:
            messages.success(request, "Items changed from the next period. The buyer was e-mailed.")
            return redirect("subscriptions:detail", pk=subscription.pk)
    return _render_detail(request, subscription, item_errors=errors, status=400)


def _add_item(request: AuthenticatedHttpRequest, portal, subscription) -> HttpResponse:
    form = AddItemForm(request.POST, portal=portal, currency=subscription.currency)
    if form.is_valid():
        try:
            services.subscription_item_add(
                portal=portal,
                subscription_id=subscription.pk,
                addition=form.addition(),
                actor=request.user,
                today=_today(),
            )
        except services.ChangeRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Item added from the next period. The buyer was e-mailed.")
            return redirect("subscriptions:detail", pk=subscription.pk)
    return _render_detail(request, subscription, add_form=form, status=400)


def _render_detail(
    request: HttpRequest,
    subscription,
    *,
    change_form: ChangeForm | None = None,
    item_errors: list[str] | None = None,
    add_form: AddItemForm | None = None,
    status=200,
) -> HttpResponse:
    attempts = selectors.subscription_attempts(subscription)
    can_edit = has_permission(request, "subscriptions.edit")
    return render(
        request,
        "subscriptions/detail.html",
        {
            "subscription": subscription,
            "items": selectors.subscription_items(subscription),
            "attempts": attempts,
            "failed_attempts": [a for a in attempts if a.status in ("failed", "requires_action")],
            "payments": selectors.subscription_payments(subscription, attempts),
            "timeline": selectors.subscription_timeline(subscription),
            "can_edit": can_edit,
            "change_refusal": services.change_refusal(subscription, today=_today()),
            "change_form": change_form or ChangeForm(),
            "item_errors": item_errors or [],
            "add_form": add_form
            or AddItemForm(portal=current_portal(request), currency=subscription.currency),
        },
        status=status,
    )
