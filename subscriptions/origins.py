"""How a subscription's payment is described on a payout line (payments/payouts/origins.py)."""

from __future__ import annotations

from collections.abc import Sequence

from django.urls import reverse

from payments.models import Payment
from payments.payouts.origins import PaymentOrigin

from .models import BillingAttempt


def subscription_payment_origins(payments: Sequence[Payment]) -> dict[int, PaymentOrigin]:
    """The subscription and period a renewal charged, found by its PaymentIntent (one
    query; a subscription's first payment is its checkout's and links there)."""
    by_intent = {p.payment_intent_id: p for p in payments}
    attempts = BillingAttempt.objects.filter(
        payment_intent_id__in=list(by_intent), portal_id__in={p.portal_id for p in payments}
    ).select_related("cycle__subscription__contact")
    out = {}
    for attempt in attempts:
        payment = by_intent.get(attempt.payment_intent_id)
        if payment is None or attempt.portal_id != payment.portal_id:
            continue
        subscription = attempt.cycle.subscription
        contact = subscription.contact
        who = contact.full_name or contact.email
        url = reverse("subscriptions:detail", args=[subscription.pk])
        label = f"{who} · period {attempt.cycle.period}"
        out[payment.pk] = PaymentOrigin("Subscription", label, url)
    return out
