"""Helpers of the subscription tests (imported, not collected)."""

from __future__ import annotations

import threading
import time
from datetime import date

from subscriptions.models import Subscription, SubscriptionItem
from tests.factories import ContactFactory

CREATE = "POST /v1/payment_intents"  # fakestripe's counter of PaymentIntent creations


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


class Sampler(threading.Thread):
    """(sent at, answered at, count) of fakestripe's PaymentIntent creations, every few
    milliseconds until stopped. The difference of two samples is how many creations
    arrived between them, so every pair less than a second apart bounds what one second
    of traffic held."""

    def __init__(self, stripe_hub) -> None:
        super().__init__(daemon=True)
        self.stripe_hub = stripe_hub
        self.samples: list[tuple[float, float, int]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            sent = time.monotonic()
            count = self.stripe_hub.stats()["calls"].get(CREATE, 0)
            self.samples.append((sent, time.monotonic(), count))
            time.sleep(0.005)

    def busiest_second(self) -> int:
        """The most creations seen within any span of at most one second."""
        most = 0
        for i, (sent_i, _, count_i) in enumerate(self.samples):
            for _, answered_j, count_j in self.samples[i + 1 :]:
                if answered_j - sent_i > 1.0:
                    break
                most = max(most, count_j - count_i)
        return most

    def span(self, total: int) -> float:
        """A lower bound of the seconds from the first creation to the `total`-th."""
        first = next(answered for _, answered, count in self.samples if count > 0)
        last = max(sent for sent, _, count in self.samples if count < total)
        return last - first
