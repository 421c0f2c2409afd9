"""Webhook handlers for Connect account events. Each is idempotent and re-fetches
the account instead of trusting the payload, so order does not matter."""

from __future__ import annotations

from payments.connect.services import (
    account_mark_disconnected_by_stripe,
    account_refresh_by_stripe_id,
)
from payments.models import StripeEvent
from payments.webhooks.services import handles


@handles("account.updated")
def on_account_updated(event: StripeEvent) -> None:
    stripe_id = event.account or event.object_id
    account_refresh_by_stripe_id(stripe_id=stripe_id)


@handles("account.application.deauthorized")
def on_account_deauthorized(event: StripeEvent) -> None:
    # data.object is the application; the account is the event's `account`
    # (docs.stripe.com/connect/webhooks).
    if event.account:
        account_mark_disconnected_by_stripe(
            stripe_id=event.account, reason="Deauthorized in Stripe"
        )
