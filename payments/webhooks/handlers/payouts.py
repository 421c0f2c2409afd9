"""Handlers for payout events on connected accounts (docs.stripe.com/api/events/types
#event_types-payout.created): each re-fetches the payout instead of trusting the payload
(events arrive out of order and twice) and calls the payout sync's one service."""

from __future__ import annotations

import logging

from payments.models import StripeAccount, StripeEvent
from payments.payouts.services import payout_refresh
from payments.webhooks.services import handles

log = logging.getLogger(__name__)


@handles("payout.created", "payout.updated", "payout.paid", "payout.failed", "payout.canceled")
def on_payout(event: StripeEvent) -> None:
    if not event.account:
        return  # the platform's own payouts are not a portal's
    account = StripeAccount.objects.filter(stripe_id=event.account, revoked=False).first()
    if account is None:
        log.info("%s %s: no portal holds account %s", event.type, event.stripe_id, event.account)
        return
    payout_id = str(((event.payload.get("data") or {}).get("object") or {}).get("id") or "")
    if payout_id:
        payout_refresh(account=account, payout_id=payout_id)
