"""Handlers for PaymentIntent events of hosted checkouts. Idempotent: they re-fetch the
intent (events arrive in any order, and twice) and let the checkout services decide.

An intent that belongs to no checkout is offered to the resolver an app registered for
its metadata (payables.register_intent_resolver): subscriptions settles a later period's
billing attempt (`billing_attempt`) from the intent re-fetched here.
"""

from __future__ import annotations

from payments import stripe as stripe_api
from payments.checkout import checkout_complete, checkout_record_failure, fetch_intent
from payments.checkout.payables import intent_resolver_for
from payments.models import Checkout, StripeEvent
from payments.webhooks.services import handles


def _resolve_other_intent(event: StripeEvent) -> bool:
    """Settles an intent of no checkout through the resolver its metadata names (a
    subscription's billing attempt); False when no registered resolver claims it."""
    intent = (event.payload.get("data") or {}).get("object") or {}
    resolve = intent_resolver_for(intent)
    if resolve is None or not event.account:
        return False
    fresh = stripe_api.payment_intent_retrieve(
        account=event.account, payment_intent_id=intent["id"], expand_charge=True
    )
    return resolve(account=event.account, payment_intent=fresh)


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
    if checkout is None:
        _resolve_other_intent(event)
        return
    if checkout.status == Checkout.Status.SUCCEEDED:
        return
    checkout_complete(checkout_id=checkout.pk, payment_intent=fetch_intent(checkout))


@handles("payment_intent.payment_failed")
def on_payment_intent_failed(event: StripeEvent) -> None:
    checkout = _checkout_for(event)
    if checkout is None:
        _resolve_other_intent(event)
        return
    if checkout.status != Checkout.Status.OPEN:
        return
    intent = fetch_intent(checkout)
    if intent["status"] in ("succeeded", "processing"):
        # A later attempt succeeded before this event was processed.
        checkout_complete(checkout_id=checkout.pk, payment_intent=intent)
    elif intent.get("last_payment_error"):
        checkout_record_failure(checkout_id=checkout.pk, payment_intent=intent)
