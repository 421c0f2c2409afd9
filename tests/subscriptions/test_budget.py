"""The background Stripe request budget (SUBSCRIPTION_STRIPE_REQUESTS_PER_SECOND),
measured where it matters: the PaymentIntent creations fakestripe receives.

A thread samples fakestripe's request counters while the billing run charges; the
difference of two samples is how many requests arrived between them, so every pair of
samples less than a second apart bounds what one second of traffic held.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from payments.models import Payment
from subscriptions import budget, tasks
from tests.payments import test_checkout_support as checkout_support

from .support import make_subscription, saved_card, succeeded_intents

ready_account = checkout_support.ready_account  # a fixture

pytestmark = pytest.mark.django_db

CREATE = "POST /v1/payment_intents"


class Sampler(threading.Thread):
    """(sent at, answered at, count) of fakestripe's PaymentIntent creations, every few
    milliseconds until stopped."""

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


def test_billing_run_keeps_stripe_traffic_within_the_request_budget(
    stripe_hub, ready_account, portal, settings
):
    settings.SUBSCRIPTION_STRIPE_REQUESTS_PER_SECOND = 20
    settings.SUBSCRIPTION_BILLING_BATCH_SIZE = 10
    account = ready_account.stripe_id
    customer, pm = saved_card(stripe_hub, account)
    today = timezone.localdate()
    for _ in range(40):
        make_subscription(
            portal,
            account=account,
            customer=customer,
            payment_method=pm,
            start=today - timedelta(days=31),
            next_billing_date=today,
        )
    stripe_hub.reset_stats()
    sampler = Sampler(stripe_hub)
    sampler.start()

    started = time.monotonic()
    tasks.billing_run.delay()
    elapsed = time.monotonic() - started

    sampler.done.set()
    sampler.join()
    assert Payment.objects.filter(source=Payment.Source.SUBSCRIPTION).count() == 40
    assert len(succeeded_intents(stripe_hub, account)) == 40
    assert stripe_hub.stats()["calls"][CREATE] == 40
    # 20/s is 2 requests per 100 ms slot: 40 requests need 20 slots, the first of which
    # may be nearly over when the run starts.
    assert budget.burst(20) == 2
    assert elapsed >= 19 * 0.1 - 0.05, elapsed
    # The sampling saw the traffic (more than a few samples a second, the budget used)…
    assert len(sampler.samples) >= 20 * elapsed, len(sampler.samples)
    busiest = sampler.busiest_second()
    assert busiest >= 10, busiest
    # …and no second of it held more than the budget plus one slot's share.
    assert busiest <= 20 + budget.burst(20), busiest
