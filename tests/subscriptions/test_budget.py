"""The background Stripe request budget (SUBSCRIPTION_STRIPE_REQUESTS_PER_SECOND),
measured where it matters: when fakestripe received each PaymentIntent creation, on its
own clock (tests/request_log.py). Across worker processes: test_billing_workers.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from payments.models import Payment
from subscriptions import tasks
from subscriptions.billing import STRIPE_BUDGET
from tests.request_log import busiest_second, span

from .support import CREATE, make_subscription, saved_card, succeeded_intents

pytestmark = pytest.mark.django_db


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

    tasks.billing_run.delay()

    assert Payment.objects.filter(source=Payment.Source.SUBSCRIPTION).count() == 40
    assert len(succeeded_intents(stripe_hub, account)) == 40
    assert stripe_hub.stats()["calls"][CREATE] == 40
    # When each creation reached fakestripe, on its clock: the log saw all of them…
    arrived = stripe_hub.request_times(CREATE)
    assert len(arrived) == 40
    # …20/s is 2 requests per 100 ms slot: 40 requests take 20 slots, so at least the 18
    # whole slots between the first and the last (whose requests may come at the end
    # and at the start of theirs). A counter per whole second would let them all go
    # within about one second.
    assert STRIPE_BUDGET.burst_for(20) == 2
    assert span(arrived, 40) >= 18 * 0.1 - 0.05, span(arrived, 40)
    busiest = busiest_second(arrived)
    assert busiest >= 10, busiest
    # …and no second of it held more than the budget plus one slot's share, plus the
    # one request (a single process charges one at a time) that may have been sent
    # just before that second and still been in flight when it started.
    assert busiest <= 20 + STRIPE_BUDGET.burst_for(20) + 1, busiest
