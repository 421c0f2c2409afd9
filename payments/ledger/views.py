"""The payments tool: the list of payments, one payment's detail, and refunds.

Each view parses, resolves the portal and the role through `portals.access`, calls one
selector or service, and renders. Money is formatted only by `commerce.money`.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from commerce import money
from commerce.forms import submitted
from commerce.portals.access import current_portal, has_permission, portal_view
from commerce.portals.http import AuthenticatedHttpRequest
from payments.connect.services import connection_context
from payments.ledger import refunds, selectors
from payments.ledger.forms import PaymentFilterForm, RefundForm
from payments.ledger.net import payment_net_now
from payments.models import Payment


@portal_view("payments.view")
def payment_list(request: HttpRequest) -> HttpResponse:
    portal = current_portal(request)
    form = PaymentFilterForm(request.GET)
    filters = form.filters()
    page = selectors.payment_list_page(
        portal=portal, filters=filters, page_number=request.GET.get("page")
    )
    context = {
        "form": form,
        "filters": filters,
        "page_obj": page,
        # Empty states tell "nothing yet" from "nothing matches".
        "has_any": bool(page.object_list)
        or (filters.active and selectors.portal_has_payments(portal)),
        **connection_context(portal=portal),
    }
    return render(request, "payments/list.html", context)


@portal_view("payments.view")
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payment = selectors.payment_for_detail(portal=current_portal(request), pk=pk)
    return _render_detail(request, payment)


@require_POST
@portal_view("payments.refund")
def payment_refund(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    payment = selectors.payment_for_detail(portal=current_portal(request), pk=pk)
    form = RefundForm(*submitted(request), refundable=refunds.refundable_now(payment))
    if form.is_valid():
        try:
            refund = refunds.payment_refund(
                payment=payment,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                user=request.user,
                attempt=str(form.cleaned_data["attempt"]),
            )
        except refunds.RefundError as exc:
            form.add_error(None, str(exc))
            form.renew_attempt()
        else:
            amount = money.format_cents(refund.amount, payment.currency)
            if refund.status == refund.Status.SUCCEEDED:
                messages.success(
                    request,
                    f"Refunded {amount}. The buyer sees it on their statement in 5 to 10 business days.",
                )
            else:
                messages.info(
                    request,
                    f"Refund of {amount} sent to Stripe. It shows here once Stripe completes it.",
                )
            return redirect("payments:detail", pk=payment.pk)
        payment = selectors.payment_for_detail(portal=current_portal(request), pk=pk)
    return _render_detail(request, payment, refund_form=form, status=400)


def _render_detail(
    request: HttpRequest,
    payment: Payment,
    *,
    refund_form: RefundForm | None = None,
    status: int = 200,
) -> HttpResponse:
    portal = current_portal(request)
    payment_refunds = selectors.payment_refunds(payment)
    events = selectors.payment_events(portal=portal, payment=payment)
    can_refund = has_permission(request, "payments.refund")
    refundable = refunds.refundable_now(payment) if can_refund else 0
    if can_refund and refund_form is None:
        refund_form = RefundForm(refundable=refundable)
    context = {
        "payment": payment,
        "net": payment_net_now(payment),
        "refunds": payment_refunds,
        "timeline": selectors.payment_timeline(
            payment=payment, refunds=payment_refunds, events=events
        ),
        "can_refund": can_refund,
        "refundable": refundable,
        "refund_blocked": _refund_blocked_reason(payment, refundable) if can_refund else "",
        "refund_form": refund_form,
        "refund_dialog_open": refund_form is not None and refund_form.is_bound,
        **connection_context(portal=portal),
    }
    return render(request, "payments/detail.html", context, status=status)


def _refund_blocked_reason(payment: Payment, refundable: int) -> str:
    if payment.status == Payment.Status.DISPUTED:
        return "Disputed payments can't be refunded; respond to the dispute in Stripe."
    if payment.status == Payment.Status.REFUNDED:
        return "Fully refunded."
    if payment.status not in refunds.REFUNDABLE_STATUSES:
        return "Only completed payments can be refunded."
    if refundable <= 0:
        return "A refund is on its way; nothing else is left to refund."
    return ""
