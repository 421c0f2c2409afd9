"""Helpers of the subscription tests (imported, not collected)."""

from __future__ import annotations

from datetime import date

from subscriptions.models import Subscription, SubscriptionItem
from tests.factories import ContactFactory


def saved_card(stripe_hub, account: str, payment_method: str = "pm_card_visa") -> tuple[str, str]:
    """A customer on the connected account with `payment_method` attached, as a
    checkout with setup_future_usage leaves it. Returns (customer, payment method)."""
    client = stripe_hub.client(stripe_account=account)
    customer = client.v1.customers.create({"email": "buyer@example.org"})
    pm = client.v1.payment_methods.attach(payment_method, {"customer": customer.id})
    return customer.id, pm.id


def make_subscription(
    portal,
    *,
    account: str,
    customer: str,
    payment_method: str,
    start: date,
    next_billing_date: date | None = None,
    term_periods: int | None = 12,
    amount: int = 5000,
    periods_billed: int = 1,
    status: str = Subscription.Status.ACTIVE,
    contact=None,
) -> Subscription:
    from subscriptions.services import period_start

    contact = contact or ContactFactory(portal=portal)
    subscription = Subscription.objects.create(
        portal=portal,
        contact=contact,
        status=status,
        billing_frequency="monthly",
        term_periods=term_periods,
        amount=amount,
        start_date=start,
        next_billing_date=next_billing_date or period_start(start, "monthly", periods_billed),
        periods_billed=periods_billed,
        stripe_account_id=account,
        stripe_customer_id=customer,
        payment_method_id=payment_method,
    )
    SubscriptionItem.objects.create(
        portal=portal,
        subscription=subscription,
        name="Growth plan",
        quantity=1,
        unit_amount=amount,
        amount=amount,
    )
    return subscription


def succeeded_intents(stripe_hub, account: str) -> list[dict]:
    client = stripe_hub.client(stripe_account=account)
    intents, params = [], {"limit": 100}
    while True:
        page = client.v1.payment_intents.list(params)
        intents.extend(pi.to_dict() for pi in page.data)
        if not page.has_more:
            break
        params = {"limit": 100, "starting_after": page.data[-1].id}
    return [pi for pi in intents if pi["status"] == "succeeded"]
