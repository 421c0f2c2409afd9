"""Handlers for charge, refund and dispute events on connected accounts.

Each re-fetches from Stripe instead of trusting the payload (events arrive out of order
and twice), then calls one service of payments/refunds.py, which is idempotent.

An event about a payment the hub hasn't recorded yet:
- if a hub Checkout created that PaymentIntent, the payment is about to be recorded
  (checkout completion races the webhook): the handler raises PaymentNotRecordedYet,
  so the event stays unprocessed and the sweeper retries it with backoff;
- otherwise the charge was made outside the hub (a Standard account can take payments
  in its own dashboard): there is nothing to update, and the event is done.
"""

from __future__ import annotations

import logging

from payments import stripe as stripe_api
from payments.ledger import refunds
from payments.models import Checkout, Payment, StripeEvent
from payments.webhooks.services import handles

log = logging.getLogger(__name__)


class PaymentNotRecordedYet(Exception):
    """The hub's checkout made this PaymentIntent but hasn't recorded its Payment yet."""


def _payment_for(event: StripeEvent, *, charge_id: str, payment_intent_id: str) -> Payment | None:
    if not event.account:
        return None  # direct charges live on connected accounts only
    payments = Payment.objects.filter(stripe_account_id=event.account).select_related(
        "portal", "contact"
    )
    payment = None
    if payment_intent_id:
        payment = payments.filter(payment_intent_id=payment_intent_id).first()
    if payment is None and charge_id:
        payment = payments.filter(charge_id=charge_id).first()
    if payment is not None:
        return payment
    if payment_intent_id and Checkout.objects.filter(payment_intent_id=payment_intent_id).exists():
        raise PaymentNotRecordedYet(
            f"{event.type} for {payment_intent_id}: its payment isn't recorded yet; retrying"
        )
    log.info("%s %s: not a payment made through the hub", event.type, event.stripe_id)
    return None


def _object(event: StripeEvent) -> dict:
    return (event.payload.get("data") or {}).get("object") or {}


def _id(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


@handles("charge.refunded")
def on_charge_refunded(event: StripeEvent) -> None:
    charge = _object(event)
    payment = _payment_for(
        event, charge_id=_id(charge.get("id")), payment_intent_id=_id(charge.get("payment_intent"))
    )
    if payment is not None:
        refunds.payment_sync_refunds(payment=payment, charge_id=_id(charge.get("id")))


@handles("refund.created", "refund.updated", "refund.failed", "charge.refund.updated")
def on_refund(event: StripeEvent) -> None:
    refund = _object(event)
    charge_id = _id(refund.get("charge"))
    payment = _payment_for(
        event, charge_id=charge_id, payment_intent_id=_id(refund.get("payment_intent"))
    )
    if payment is not None:
        refunds.payment_sync_refunds(payment=payment, charge_id=charge_id)


@handles(
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
)
def on_dispute(event: StripeEvent) -> None:
    dispute = _object(event)
    payment = _payment_for(
        event,
        charge_id=_id(dispute.get("charge")),
        payment_intent_id=_id(dispute.get("payment_intent")),
    )
    if payment is None:
        return
    current = stripe_api.dispute_retrieve(account=event.account, dispute_id=dispute["id"])
    refunds.payment_apply_dispute(payment=payment, dispute=current)
