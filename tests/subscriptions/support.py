"""Helpers of the subscription tests (imported, not collected)."""

from __future__ import annotations

from datetime import date

from subscriptions.models import Subscription
from tests.factories import SubscriptionFactory

CREATE = "POST /v1/payment_intents"  # PaymentIntent creations in fakestripe's stats and log


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
    """A monthly subscription billed to `customer`'s card on the connected `account`
    (see `saved_card`), with one item; its next period is due after `periods_billed`."""
    fields = {"contact": contact} if contact else {}
    if next_billing_date:
        fields["next_billing_date"] = next_billing_date
    return SubscriptionFactory(
        portal=portal,
        status=status,
        billing_frequency="monthly",
        term_periods=term_periods,
        amount=amount,
        start_date=start,
        periods_billed=periods_billed,
        stripe_account_id=account,
        stripe_customer_id=customer,
        payment_method_id=payment_method,
        **fields,
    )


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
