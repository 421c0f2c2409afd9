"""Handlers for PaymentIntent events of hosted checkouts. Idempotent: they re-fetch the
intent (events arrive in any order, and twice) and let the checkout services decide.

An intent that belongs to no checkout (a subscription's later period, say) is left to
the feature that created it.
"""

from __future__ import annotations

from ..checkout import checkout_complete, checkout_record_failure, fetch_intent
from ..models import Checkout, StripeEvent
from ..webhooks import handles


def _checkout_for(event: StripeEvent) -> Checkout | None:
    intent_id = event.object_id
    if not intent_id or not event.account:
        return None
    return Checkout.objects.filter(
        payment_intent_id=intent_id, stripe_account_id=event.account
    ).first()


@handles("payment_intent.succeeded", "payment_intent.processing")
def on_payment_intent_succeeded(event: StripeEvent) -> None:
    checkout = _checkout_for(event)
    if checkout is None or checkout.status == Checkout.Status.SUCCEEDED:
        return
    checkout_complete(checkout_id=checkout.pk, payment_intent=fetch_intent(checkout))


@handles("payment_intent.payment_failed")
def on_payment_intent_failed(event: StripeEvent) -> None:
    checkout = _checkout_for(event)
    if checkout is None or checkout.status != Checkout.Status.OPEN:
        return
    intent = fetch_intent(checkout)
    if intent["status"] in ("succeeded", "processing"):
        # A later attempt succeeded before this event was processed.
        checkout_complete(checkout_id=checkout.pk, payment_intent=intent)
    elif intent.get("last_payment_error"):
        checkout_record_failure(checkout_id=checkout.pk, payment_intent=intent)
