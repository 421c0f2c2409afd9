"""Payments, checkouts, payment links and Stripe accounts as events and webhooks show
them (registered in PaymentsConfig.ready(); the types are in commerce/events/catalogue.py).

A snapshot never queries the database: ids of related rows, not the rows. A payment
link's lines are those its service loaded (`link_prefetch_lines`), and its `status`
reads the `uses` the link list annotates (or the service counted); a checkout's payment
and a Stripe account's previous status are passed by the service that knows them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import prefetch_related_objects
from django.urls import reverse

from commerce import pricing
from commerce.clock import hub_now
from commerce.documents.events import iso, lines_snapshot
from payments.models import Checkout, Payment, PaymentLink, StripeAccount


def _id(pk: int | None) -> str | None:
    return str(pk) if pk is not None else None


def payment_source(checkout: Checkout) -> str:
    """The Payment.source of a checkout's payment."""
    if checkout.source == "payment_link":
        return Payment.Source.PAYMENT_LINK
    return checkout.source


# --- Payment -------------------------------------------------------------------------


def _dispute(payment: Payment) -> dict[str, Any] | None:
    if not payment.dispute_id:
        return None
    return {
        "id": payment.dispute_id,
        "status": payment.dispute_status,
        "reason": payment.dispute_reason,
        "amount": payment.dispute_amount,
        "due_by": iso(payment.dispute_due_by),
    }


# Every column `payment_snapshot` reads, by attribute name: a read that only renders
# snapshots (the API's payments) loads these and nothing else, as rows
# (`.values_list(*PAYMENT_SNAPSHOT_FIELDS, named=True)`), without making a model each.
PAYMENT_SNAPSHOT_FIELDS = (
    "id",
    "status",
    "amount",
    "refunded_amount",
    "fee",
    "net",
    "currency",
    "source",
    "contact_id",
    "checkout_id",
    "card_brand",
    "card_last4",
    "payment_intent_id",
    "failure_code",
    "failure_message",
    "dispute_id",
    "dispute_status",
    "dispute_reason",
    "dispute_amount",
    "dispute_due_by",
    "paid_at",
    "created_at",
)


def payment_snapshot(payment: Payment) -> dict[str, Any]:
    """`payment` as events and the API show it: a Payment, or a row of
    PAYMENT_SNAPSHOT_FIELDS (the same attributes)."""
    return {
        "id": str(payment.id),
        "object": "payment",
        "status": payment.status,
        "amount": payment.amount,
        "amount_refunded": payment.refunded_amount,
        "fee": payment.fee,
        "net": payment.net,
        "currency": payment.currency,
        "source": payment.source,
        "contact": _id(payment.contact_id),
        "checkout": _id(payment.checkout_id),
        "card_brand": payment.card_brand,
        "card_last4": payment.card_last4,
        "stripe_payment_intent": payment.payment_intent_id,
        "failure_code": payment.failure_code,
        "failure_message": payment.failure_message,
        "dispute": _dispute(payment),
        "paid": iso(payment.paid_at),
        "created": iso(payment.created_at),
    }


def failed_payment_snapshot(
    *,
    payment_intent: dict,
    amount: int,
    currency: str,
    source: str,
    contact_id: int | None,
    checkout_id: int | None,
    failure_code: str,
    failure_message: str,
    at: datetime,
) -> dict[str, Any]:
    """The `payment` of a `payment.failed` event: the hub records no Payment for a
    failed attempt, so its id is the PaymentIntent's. `failure_message` is the buyer's
    sentence (payments.stripe.buyer_message_for), never Stripe's raw message."""
    error = payment_intent.get("last_payment_error") or {}
    method = error.get("payment_method") or {}
    card = (method.get("card") or {}) if isinstance(method, dict) else {}
    return {
        "id": payment_intent["id"],
        "object": "payment",
        "status": Payment.Status.FAILED.value,
        "amount": amount,
        "amount_refunded": 0,
        "fee": None,
        "net": None,
        "currency": currency,
        "source": source,
        "contact": _id(contact_id),
        "checkout": _id(checkout_id),
        "card_brand": (card.get("brand") or "")[:20],
        "card_last4": (card.get("last4") or "")[:4],
        "stripe_payment_intent": payment_intent["id"],
        "failure_code": failure_code,
        "failure_message": failure_message,
        "dispute": None,
        "paid": None,
        "created": iso(at),
    }


# --- Checkout ------------------------------------------------------------------------


def _frozen_line(line: dict[str, Any]) -> dict[str, Any]:
    quantity, unit_amount = int(line.get("quantity", 1)), int(line.get("unit_amount", 0))
    return {
        "name": line.get("name", ""),
        "sku": line.get("sku", ""),
        "quantity": quantity,
        "unit_amount": unit_amount,
        "billing_frequency": line.get("billing_frequency") or "one_time",
        "term_periods": line.get("term_periods"),
        "amount": quantity * unit_amount,
    }


def checkout_snapshot(checkout: Checkout, payment: Payment | None = None) -> dict[str, Any]:
    """The checkout with the lines of the order it froze; `payment` is the payment its
    completion recorded (None from the registered snapshot, which cannot look it up)."""
    source_id = checkout.payment_link_id if checkout.source == "payment_link" else None
    if source_id is None:
        source_id = checkout.document_id
    return {
        "id": str(checkout.pk),
        "object": "checkout",
        "status": checkout.status,
        "source": checkout.source,
        "source_id": _id(source_id),
        "contact": _id(checkout.contact_id),
        "email": checkout.email,
        "lines": [_frozen_line(line) for line in (checkout.order or {}).get("lines", [])],
        "total": checkout.amount,
        "currency": checkout.currency,
        "payment": _id(payment.pk) if payment is not None else None,
        "completed": iso(checkout.completed_at),
    }


# --- Payment link --------------------------------------------------------------------


def link_prefetch_lines(link: PaymentLink) -> PaymentLink:
    """Loads the link's lines for its snapshot (one SELECT, in the change's transaction)."""
    prefetch_related_objects([link], "lines")
    return link


def link_state(link: PaymentLink) -> str:
    """active, inactive, expired or used_up: whether buyers can pay it (the list's badge).
    Used up reads `link.uses` (annotated by the link list, set by the services)."""
    if not link.active:
        return "inactive"
    if link.expires_at is not None and link.expires_at <= hub_now():
        return "expired"
    limit = link.payment_limit
    if limit is not None and getattr(link, "uses", 0) >= limit:
        return "used_up"
    return "active"


def payment_link_snapshot(link: PaymentLink) -> dict[str, Any]:
    lines = list(link.lines.all())  # prefetched by the service (link_prefetch_lines)
    totals = pricing.compute(
        [pricing.Line.from_snapshot(line, ref=str(line.pk)) for line in lines], link.currency
    )
    return {
        "id": str(link.pk),
        "object": "payment_link",
        "name": link.name,
        "url": settings.SITE_URL + reverse("public:checkout", args=[link.slug]),
        "active": link.active,
        "status": link_state(link),
        "lines": lines_snapshot(lines),
        "total": totals.total,
        "currency": link.currency,
        "created": iso(link.created_at),
        "updated": iso(link.updated_at),
    }


# --- Stripe account ------------------------------------------------------------------


def stripe_account_snapshot(
    account: StripeAccount, previous_status: str | None = None
) -> dict[str, Any]:
    return {
        "id": account.stripe_id,
        "object": "stripe_account",
        "status": account.status,
        "previous_status": previous_status,
        "charges_enabled": account.charges_enabled,
        "payouts_enabled": account.payouts_enabled,
    }
