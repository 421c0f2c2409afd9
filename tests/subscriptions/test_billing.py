"""The billing run against fakestripe: one charge per period, whatever happens."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payments import stripe as stripe_api
from payments.models import Payment
from subscriptions import billing, tasks
from subscriptions.models import BillingAttempt, BillingCycle, Subscription

from .support import make_subscription, saved_card, succeeded_intents

pytestmark = pytest.mark.django_db

START = date(2026, 1, 15)


@pytest.fixture
def account_id(ready_account) -> str:
    return ready_account.stripe_id


@pytest.fixture
def card(stripe_hub, account_id) -> tuple[str, str]:
    return saved_card(stripe_hub, account_id)


def _sub(portal, account_id, card, **kw) -> Subscription:
    customer, pm = card
    return make_subscription(
        portal, account=account_id, customer=customer, payment_method=pm, start=START, **kw
    )


def at(day: date, hour: int = 12):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=UTC), tick=False)


def test_due_subscription_is_charged_once_and_advanced(
    stripe_hub, portal, account_id, card, django_capture_on_commit_callbacks
):
    subscription = _sub(portal, account_id, card)
    with at(date(2026, 2, 15)), django_capture_on_commit_callbacks(execute=True):
        tasks.billing_run.delay()

    subscription.refresh_from_db()
    assert subscription.periods_billed == 2
    assert subscription.next_billing_date == date(2026, 3, 15)
    assert subscription.status == Subscription.Status.ACTIVE
    cycle = BillingCycle.objects.get(subscription=subscription)
    assert (cycle.period, cycle.status) == (2, BillingCycle.Status.PAID)
    attempt = cycle.attempts.get()
    assert attempt.idempotency_key == f"bill:{portal.pk}:{subscription.pk}:2:1"
    payment = Payment.objects.get(source=Payment.Source.SUBSCRIPTION)
    assert payment.amount == 5000 and payment.payment_intent_id == attempt.payment_intent_id
    assert payment.card_last4 == "4242"
    intents = succeeded_intents(stripe_hub, account_id)
    assert len(intents) == 1
    assert intents[0]["metadata"]["billing_attempt"] == attempt.idempotency_key
    assert [m.to for m in mail.outbox] == [[subscription.contact.email]]
    assert "$50.00" in mail.outbox[0].subject
    assert subscription.events.filter(kind="charge_succeeded").exists()


def test_not_yet_due_subscription_is_not_charged(stripe_hub, portal, account_id, card):
    subscription = _sub(portal, account_id, card)
    with at(date(2026, 2, 14)):
        tasks.billing_run.delay()
    subscription.refresh_from_db()
    assert subscription.periods_billed == 1
    assert not BillingCycle.objects.exists()


def test_duplicated_task_and_overlapping_runs_charge_once(stripe_hub, portal, account_id, card):
    subscriptions = [_sub(portal, account_id, card) for _ in range(3)]
    ids = [s.pk for s in subscriptions]
    with at(date(2026, 2, 15)):
        first = billing.billing_charge_batch(subscription_ids=ids, owner="task-1")
        second = billing.billing_charge_batch(subscription_ids=ids, owner="task-1")
        tasks.billing_run.delay()
        tasks.billing_charge_batch.delay(ids)
    assert first.succeeded == 3 and second.claimed == 0
    assert len(succeeded_intents(stripe_hub, account_id)) == 3
    assert Payment.objects.count() == 3
    assert all(s.periods_billed == 2 for s in Subscription.objects.all())


def test_leased_subscription_is_skipped_by_another_run(stripe_hub, portal, account_id, card):
    subscription = _sub(portal, account_id, card)
    with at(date(2026, 2, 15)):
        claims, _ = billing._claim(ids=[subscription.pk], owner="worker-a", now=billing.hub_now())
        assert len(claims) == 1
        assert billing.billing_due_ids() == []
        other = billing.billing_charge_batch(subscription_ids=[subscription.pk], owner="worker-b")
        assert other.claimed == 0
        # The redelivered task of the same owner takes its claim back and re-sends the key.
        again = billing.billing_charge_batch(subscription_ids=[subscription.pk], owner="worker-a")
    assert again.succeeded == 1
    assert len(succeeded_intents(stripe_hub, account_id)) == 1


def test_crash_after_stripe_call_resends_same_key(stripe_hub, portal, account_id, card, settings):
    """A worker died between Stripe's answer and the commit: the intent exists, the
    attempt is still pending. The next run (after the lease) re-sends the same key."""
    settings.SUBSCRIPTION_BILLING_LEASE_SECONDS = 60
    subscription = _sub(portal, account_id, card)
    with at(date(2026, 2, 15)):
        claims, _ = billing._claim(ids=[subscription.pk], owner="dead", now=billing.hub_now())
        billing._send(claims[0])
    with at(date(2026, 2, 15), hour=13):
        tasks.billing_run.delay()
    subscription.refresh_from_db()
    assert subscription.periods_billed == 2
    assert BillingAttempt.objects.get().status == BillingAttempt.Status.SUCCEEDED
    assert len(succeeded_intents(stripe_hub, account_id)) == 1
    assert Payment.objects.count() == 1


def test_pending_attempt_older_than_a_day_is_found_by_metadata(
    stripe_hub, portal, account_id, card, settings
):
    settings.SUBSCRIPTION_BILLING_LEASE_SECONDS = 60
    subscription = _sub(portal, account_id, card)
    with at(date(2026, 2, 15)):
        claims, _ = billing._claim(ids=[subscription.pk], owner="dead", now=billing.hub_now())
        claim = claims[0]
        stripe_api.payment_intent_charge_off_session(
            account=account_id,
            amount=claim.cycle.amount,
            currency="usd",
            customer=subscription.stripe_customer_id,
            payment_method=subscription.payment_method_id,
            description="period 2",
            metadata=billing._metadata(claim),
            # A different key: the stored one would be "expired" by then in Stripe.
            idempotency_key=claim.attempt.idempotency_key + ":original",
        )
    with at(date(2026, 2, 17)):
        tasks.billing_run.delay()
    assert BillingAttempt.objects.get().status == BillingAttempt.Status.SUCCEEDED
    assert len(succeeded_intents(stripe_hub, account_id)) == 1
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("kind", ["server_error", "rate_limit", "drop"])
@pytest.mark.parametrize("when", ["before", "after"])
def test_stripe_failures_on_create_never_charge_twice(
    stripe_hub, portal, account_id, card, kind, when
):
    subscriptions = [_sub(portal, account_id, card) for _ in range(3)]
    stripe_hub.inject_failure("/v1/payment_intents", kind=kind, when=when, count=3)
    with at(date(2026, 2, 15)):
        tasks.billing_run.delay()
    assert len(succeeded_intents(stripe_hub, account_id)) == 3
    assert Payment.objects.count() == 3
    for s in subscriptions:
        s.refresh_from_db()
        assert s.periods_billed == 2


def test_stripe_down_leaves_attempt_pending_and_next_run_bills_it(
    stripe_hub, portal, account_id, card, settings
):
    settings.STRIPE_MAX_RETRIES = 1
    subscription = _sub(portal, account_id, card)
    stripe_hub.inject_failure("/v1/payment_intents", kind="server_error", when="before", count=2)
    with at(date(2026, 2, 15)):
        tasks.billing_run.delay()
    assert BillingAttempt.objects.get().status == BillingAttempt.Status.PENDING
    with at(date(2026, 2, 15), hour=14):
        tasks.billing_run.delay()
    subscription.refresh_from_db()
    assert subscription.periods_billed == 2
    assert BillingAttempt.objects.count() == 1
    assert len(succeeded_intents(stripe_hub, account_id)) == 1


def test_thirteen_monthly_periods_bill_twelve_then_complete(stripe_hub, portal, account_id, card):
    subscription = _sub(portal, account_id, card, term_periods=12)
    day = START
    for _ in range(13):
        day = date(day.year + (day.month // 12), day.month % 12 + 1, 15)
        with at(day):
            tasks.billing_run.delay()
            stripe_hub.advance_clock(31 * 24 * 3600)
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.COMPLETED
    assert subscription.periods_billed == 12
    assert subscription.next_billing_date is None
    assert len(succeeded_intents(stripe_hub, account_id)) == 11  # period 1 was the checkout
    assert sorted(BillingCycle.objects.values_list("period", flat=True)) == list(range(2, 13))


def test_cancel_at_period_end_ends_instead_of_charging(stripe_hub, portal, account_id, card):
    subscription = _sub(portal, account_id, card)
    Subscription.objects.filter(pk=subscription.pk).update(cancel_at_period_end=True)
    with at(date(2026, 2, 15)):
        tasks.billing_run.delay()
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.CANCELLED
    assert succeeded_intents(stripe_hub, account_id) == []


def test_paused_subscription_is_not_charged(stripe_hub, portal, account_id, card):
    _sub(portal, account_id, card, status=Subscription.Status.PAUSED)
    with at(date(2026, 2, 15)):
        tasks.billing_run.delay()
    assert succeeded_intents(stripe_hub, account_id) == []


@pytest.mark.parametrize("count", [3, 20])
def test_a_batch_runs_the_same_queries_whatever_its_size(
    postgres, stripe_hub, portal, account_id, card, count
):
    # On PostgreSQL (commerce.db.update_rows is one UPDATE per row elsewhere).
    for _ in range(count):
        _sub(portal, account_id, card)
    ids = list(Subscription.objects.values_list("pk", flat=True))
    with at(date(2026, 2, 15)), CaptureQueriesContext(connection) as queries:
        result = billing.billing_charge_batch(subscription_ids=ids)
    assert result.succeeded == count
    # Savepoints are the test's wrapping transaction (BEGIN/COMMIT in production).
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"].upper()]
    # Claim: lock, lease, cycles, new cycles, new attempts. Record: lock subscriptions,
    # lock attempts, existing payments, new payments, attempts, cycles, subscriptions,
    # timeline entries, and the events: payment.succeeded and subscription.renewed
    # (one INSERT each for the whole batch).
    assert len(statements) == 15, statements


def test_only_due_subscriptions_are_listed(stripe_hub, portal, account_id, card):
    """The due listing returns only due ids. That it never *reads* the others (the plan
    goes through the next-billing-date index) is PostgreSQL's to show:
    test_billing_plan.py checks the plan with 20,000 not-due rows."""
    _sub(portal, account_id, card, next_billing_date=date(2027, 1, 1))
    due = _sub(portal, account_id, card)
    with at(date(2026, 2, 15)):
        assert billing.billing_due_ids() == [due.pk]


def test_webhook_settles_an_attempt_left_pending_by_a_crash(stripe_hub, portal, account_id, card):
    from django.utils import timezone

    from payments.models import StripeEvent
    from payments.webhooks.handlers.checkout import on_payment_intent_succeeded

    subscription = _sub(portal, account_id, card)
    with at(date(2026, 2, 15)):
        claims, _ = billing._claim(ids=[subscription.pk], owner="dead", now=billing.hub_now())
        intent = billing._send(claims[0])
        event = StripeEvent.objects.create(
            stripe_id="evt_billing_1",
            type="payment_intent.succeeded",
            account=account_id,
            created=timezone.now(),
            payload={"id": "evt_billing_1", "data": {"object": intent}},
        )
        on_payment_intent_succeeded(event)
        on_payment_intent_succeeded(event)
    subscription.refresh_from_db()
    assert subscription.periods_billed == 2
    assert subscription.billing_lease_owner == ""
    assert BillingAttempt.objects.get().status == BillingAttempt.Status.SUCCEEDED
    assert Payment.objects.count() == 1
