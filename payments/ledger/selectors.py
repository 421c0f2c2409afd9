"""Reads of the payments tool: the list, one payment, its refunds and timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from commerce import money
from commerce.portals.access import for_portal, get_for_portal
from commerce.portals.models import Portal
from payments.models import Payment, Refund, StripeEvent
from payments.webhooks.selectors import events_for_portal

# --- Payments tool -------------------------------------------------------------------

PAYMENTS_PAGE_SIZE = 25


@dataclass(frozen=True, slots=True)
class PaymentFilters:
    status: str = ""
    source: str = ""
    date_from: date | None = None
    date_to: date | None = None
    search: str = ""

    @property
    def active(self) -> bool:
        return any((self.status, self.source, self.date_from, self.date_to, self.search))


def payment_search(*, portal: Portal, filters: PaymentFilters) -> QuerySet[Payment]:
    """Payments of `portal`, newest first, with their contact. Dates are whole days in
    the portal's time zone; the search matches the buyer's e-mail (any part) or a
    Stripe id (PaymentIntent or charge) exactly."""
    payments = for_portal(Payment.objects.all(), portal).select_related("contact", "checkout")
    if filters.status:
        payments = payments.filter(status=filters.status)
    if filters.source:
        payments = payments.filter(source=filters.source)
    zone = ZoneInfo(portal.time_zone)
    if filters.date_from:
        start = datetime.combine(filters.date_from, time.min, tzinfo=zone)
        payments = payments.filter(created_at__gte=start)
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=zone)
        payments = payments.filter(created_at__lt=end)
    search = filters.search.strip()
    if search:
        payments = payments.filter(
            Q(contact__email__icontains=search)
            | Q(checkout__email__icontains=search)
            | Q(payment_intent_id=search)
            | Q(charge_id=search)
        )
    return payments.order_by("-created_at", "-id")


def payment_list_page(
    *, portal: Portal, filters: PaymentFilters, page_number: str | int | None = 1
) -> Page:
    """One page of the payments list; a constant number of queries whatever its size."""
    return Paginator(payment_search(portal=portal, filters=filters), PAYMENTS_PAGE_SIZE).get_page(
        page_number
    )


def portal_has_payments(portal: Portal) -> bool:
    return for_portal(Payment.objects.all(), portal).exists()


def payment_for_detail(*, portal: Portal, pk: int) -> Payment:
    """One payment of `portal` with its contact; another portal's is a 404."""
    return get_for_portal(Payment.objects.select_related("contact", "checkout"), portal, pk=pk)


def payment_refunds(payment: Payment) -> list[Refund]:
    return list(
        Refund.objects.filter(portal_id=payment.portal_id, payment=payment)
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    title: str
    detail: str = ""
    tone: str = "grey"


# Events that add something the Payment and Refund rows don't say.
_EVENT_ENTRIES: dict[str, tuple[str, str]] = {
    "payment_intent.payment_failed": ("Payment attempt failed", "red"),
    "payment_intent.canceled": ("Payment canceled", "grey"),
    "charge.dispute.funds_withdrawn": ("Disputed amount withdrawn from your balance", "red"),
    "charge.dispute.funds_reinstated": ("Disputed amount returned to your balance", "green"),
    "charge.dispute.closed": ("Dispute closed", "grey"),
}


def payment_events(*, portal: Portal, payment: Payment) -> list[StripeEvent]:
    """The portal's stored Stripe events about this payment's PaymentIntent or charge."""
    ids = [i for i in (payment.payment_intent_id, payment.charge_id) if i]
    about = Q(payload__data__object__id__in=ids) | Q(
        payload__data__object__payment_intent=payment.payment_intent_id
    )
    if payment.charge_id:
        about |= Q(payload__data__object__charge=payment.charge_id)
    return list(
        events_for_portal(portal)
        .filter(account=payment.stripe_account_id, type__in=list(_EVENT_ENTRIES))
        .filter(about)
        .only("id", "type", "created", "payload")
        .order_by("-created", "-id")[:50]
    )


def payment_timeline(
    *, payment: Payment, refunds: list[Refund], events: list[StripeEvent]
) -> list[TimelineEntry]:
    """What happened to a payment, newest first: from its own rows (created, paid or
    failed, refunds, dispute) and the Stripe events only they know (failed attempts,
    dispute money movements)."""
    amount = money.format_cents(payment.amount, payment.currency)
    # A checkout's payment started when the buyer began paying, before any failed
    # attempt; its row is written only once the payment succeeded.
    started = payment.checkout.created_at if payment.checkout else payment.created_at
    entries = [TimelineEntry(min(started, payment.created_at), "Payment started", amount, "blue")]
    if payment.paid_at:
        card = (
            f"{payment.card_brand.title()} •••• {payment.card_last4}" if payment.card_last4 else ""
        )
        entries.append(TimelineEntry(payment.paid_at, f"Paid {amount}", card, "green"))
    if payment.status == Payment.Status.FAILED:
        entries.append(
            TimelineEntry(
                payment.updated_at,
                "Payment failed",
                payment.failure_message or payment.failure_code,
                "red",
            )
        )
    for refund in refunds:
        entries.append(_refund_entry(refund, payment.currency))
    if payment.dispute_id and payment.disputed_at:
        reason = payment.dispute_reason.replace("_", " ")
        entries.append(
            TimelineEntry(
                payment.disputed_at,
                "Buyer disputed the payment",
                f"Reason: {reason}" if reason else "",
                "red",
            )
        )
    for event in events:
        title, tone = _EVENT_ENTRIES[event.type]
        obj = (event.payload.get("data") or {}).get("object") or {}
        detail = ""
        if event.type == "payment_intent.payment_failed":
            detail = str((obj.get("last_payment_error") or {}).get("message") or "")
        elif event.type == "charge.dispute.closed":
            outcome = str(obj.get("status") or "").replace("_", " ")
            title, tone = f"Dispute closed: {outcome}", "green" if outcome == "won" else "red"
        entries.append(TimelineEntry(event.created, title, detail, tone))
    # Newest first; what happened in the same instant keeps the order it was added in.
    order = {id(e): i for i, e in enumerate(entries)}
    return sorted(entries, key=lambda e: (e.at, order[id(e)]), reverse=True)


def _refund_entry(refund: Refund, currency: str) -> TimelineEntry:
    amount = money.format_cents(refund.amount, currency)
    who = (
        "in Stripe's dashboard"
        if refund.made_in_stripe
        else f"by {refund.created_by.display_name}"
        if refund.created_by
        else f"by {refund.via}"
        if refund.via
        else "from the hub"
    )
    parts = [who]
    if refund.reason:
        parts.append(refund.get_reason_display().lower())
    if refund.status == Refund.Status.FAILED:
        return TimelineEntry(
            refund.created_at, f"Refund of {amount} failed", refund.failure_message, "red"
        )
    title = (
        f"Refunded {amount}"
        if refund.status != Refund.Status.PENDING
        else f"Refund of {amount} pending"
    )
    return TimelineEntry(refund.created_at, title, " · ".join(parts), "amber")
