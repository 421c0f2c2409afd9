"""The subscription as events and webhooks show it (registered in
SubscriptionsConfig.ready()).

The row's own fields and ids only, no items: the billing run records a batch's renewals
with a constant number of queries, so the snapshot never reads another table. The
per-period `amount` is the sum of the items.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from .models import Subscription


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def subscription_snapshot(subscription: Subscription) -> dict[str, Any]:
    return {
        "id": str(subscription.pk),
        "object": "subscription",
        "status": subscription.status,
        "contact": str(subscription.contact_id),
        "checkout": str(subscription.source_checkout_id)
        if subscription.source_checkout_id
        else None,
        "amount": subscription.amount,
        "currency": subscription.currency,
        "billing_frequency": subscription.billing_frequency,
        "start_date": _iso(subscription.start_date),
        "next_billing_date": _iso(subscription.next_billing_date),
        "periods_billed": subscription.periods_billed,
        "term_periods": subscription.term_periods,
        "cancel_at_period_end": subscription.cancel_at_period_end,
        "cancelled_at": _iso(subscription.cancelled_at),
        "ended_at": _iso(subscription.ended_at),
        "created": _iso(subscription.created_at),
        "updated": _iso(subscription.updated_at),
    }
