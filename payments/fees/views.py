"""Fee sync pages: the health panel, Sync now and Repair.

Anyone who reads reports sees the health; starting a sync or a repair (Stripe calls on
the portal's account) is for super admins, like the Stripe connection itself.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from commerce.portals.access import current_portal, has_permission, portal_view
from payments.fees import checks as fee_checks
from payments.ledger import selectors
from payments.stripe import StripeServiceError


@portal_view("reports.view")
def fee_health(request: HttpRequest) -> HttpResponse:
    health = fee_checks.fee_health(portal=current_portal(request))
    return render(
        request,
        "payments/fee_health.html",
        {"health": health, "can_sync": has_permission(request, "stripe.connect")},
    )


@require_POST
@portal_view("stripe.connect")
def fee_sync_now(request: HttpRequest) -> HttpResponse:
    if fee_checks.fees_request_sync(portal=current_portal(request)) is None:
        messages.error(request, "Connect Stripe first: there is no account to sync fees from.")
    else:
        messages.success(request, "Fee sync started. Fees appear here within a minute.")
    return redirect("payments:fee_health")


@require_POST
@portal_view("stripe.connect")
def fee_repair(request: HttpRequest) -> HttpResponse:
    try:
        repaired = fee_checks.fees_repair_portal(portal=current_portal(request))
    except (StripeServiceError, fee_checks.FeeSyncError) as exc:
        messages.error(request, getattr(exc, "user_message", str(exc)))
    else:
        messages.success(request, f"Re-fetched {repaired} payment(s) from Stripe.")
    return redirect("payments:fee_health")


@require_POST
@portal_view("stripe.connect")
def payment_fee_repair(request: HttpRequest, pk: int) -> HttpResponse:
    payment = selectors.payment_for_detail(portal=current_portal(request), pk=pk)
    try:
        fee_checks.fees_repair_payment(payment=payment)
    except (StripeServiceError, fee_checks.FeeSyncError) as exc:
        messages.error(request, getattr(exc, "user_message", str(exc)))
    else:
        messages.success(request, "Re-fetched this payment's amounts from Stripe.")
    return redirect("payments:detail", pk=payment.pk)
