"""subscription.* fire exactly once per change, in the change's transaction, from the
services, the checkout's completion and the billing run (fakestripe); a renewal's
Payment, written by the subscriptions layer, fires payment.succeeded once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from commerce.catalog.models import BillingFrequency
from commerce.events import catalogue
from commerce.events.models import Event
from commerce.events.services import EventError, event_record_many
from payments import checkout as checkout_service
from payments.links.services import LineSpec
from payments.models import Payment
from subscriptions import billing, services, tasks
from subscriptions.events import subscription_snapshot
from subscriptions.models import BillingAttempt, Subscription, SubscriptionSettings
from tests.factories import ContactFactory, ProductFactory, SubscriptionFactory
from tests.payments.support import confirm, make_link, return_to_hub, start_checkout
from tests.subscriptions.support import make_subscription, saved_card

pytestmark = pytest.mark.django_db

START = date(2026, 1, 15)
TODAY = date(2026, 2, 1)
DUE = date(2026, 2, 15)
SUBSCRIPTION_KEYS = set(catalogue.SAMPLE_OBJECTS["subscription"])


def at(day: date, hour: int = 12):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=UTC), tick=False)


def _events(type: str) -> list[Event]:
    return list(Event.objects.filter(type=type).order_by("id"))


def _one(type: str, subscription: Subscription) -> Event:
    """The one event of `type`, about `subscription`, with the catalogue's keys."""
    events = _events(type)
    assert [(e.object_type, e.object_id) for e in events] == [
        ("subscription", str(subscription.pk))
    ], events
    event = events[0]
    assert event.portal_id == subscription.portal_id
    assert set(event.data) == SUBSCRIPTION_KEYS
    return event


def _event_inserts(ctx: CaptureQueriesContext) -> int:
    return sum(
        1
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith('INSERT INTO "EVENTS_EVENT"')
    )


@pytest.fixture
def card(stripe_hub, ready_account) -> tuple[str, str]:
    return saved_card(stripe_hub, ready_account.stripe_id)


@pytest.fixture
def make(portal, ready_account, card):
    def make_one(**kw) -> Subscription:
        customer, pm = card
        return make_subscription(
            portal,
            account=ready_account.stripe_id,
            customer=customer,
            payment_method=pm,
            start=START,
            **kw,
        )

    return make_one


@pytest.fixture
def failing(stripe_hub, ready_account, portal) -> Subscription:
    customer, pm = saved_card(stripe_hub, ready_account.stripe_id, "pm_card_chargeCustomerFail")
    return make_subscription(
        portal, account=ready_account.stripe_id, customer=customer, payment_method=pm, start=START
    )


def _change(subscription: Subscription, action: str, **kw) -> Subscription:
    with at(TODAY):
        return services.subscription_change(
            portal=subscription.portal,
            subscription_id=subscription.pk,
            action=action,
            actor=None,
            today=TODAY,
            **kw,
        )


def test_the_snapshot_has_the_shape_of_its_sample(make):
    assert set(subscription_snapshot(make())) == SUBSCRIPTION_KEYS


# --- created ------------------------------------------------------------------------


def test_created_by_a_checkout_once_per_subscription(stripe_hub, ready_account, portal):
    monthly = ProductFactory(
        portal=portal, unit_price=1000, billing_frequency=BillingFrequency.MONTHLY, term_periods=6
    )
    yearly = ProductFactory(
        portal=portal, unit_price=9900, billing_frequency=BillingFrequency.YEARLY
    )
    link = make_link(
        portal, lines=[LineSpec(product_id=p.pk, quantity=1) for p in [monthly, yearly]]
    )
    buyer = Client()
    checkout = start_checkout(buyer, link)
    confirm(stripe_hub, checkout)
    intent = checkout_service.fetch_intent(checkout)
    with CaptureQueriesContext(connection) as ctx:
        checkout_service.checkout_complete(checkout_id=checkout.pk, payment_intent=intent)
    # Read now: a request resets the connection's log.
    inserts = [q["sql"] for q in ctx.captured_queries if "subscription.created" in q["sql"]]
    return_to_hub(buyer, link, checkout)  # the return page: nothing new
    subscriptions = list(Subscription.objects.filter(portal=portal).order_by("pk"))
    events = _events("subscription.created")
    assert [e.object_id for e in events] == [str(s.pk) for s in subscriptions]
    assert len(subscriptions) == 2
    checkout.refresh_from_db()
    assert {e.data["checkout"] for e in events} == {str(checkout.pk)}
    assert [e.data["billing_frequency"] for e in events] == ["monthly", "yearly"]
    assert all(set(e.data) == SUBSCRIPTION_KEYS for e in events)
    # Both subscriptions' events in one INSERT, in the completion's transaction.
    assert len(inserts) == 1 and inserts[0].count("subscription.created") == 2, inserts


def test_created_by_an_admin(stripe_hub, ready_account, portal, card):
    plan = ProductFactory(
        portal=portal, unit_price=3000, billing_frequency=BillingFrequency.MONTHLY, term_periods=6
    )
    contact = ContactFactory(portal=portal, stripe_customer_id=card[0])
    with at(TODAY), CaptureQueriesContext(connection) as ctx:
        subscription = services.subscription_create_manual(
            portal=portal,
            contact=contact,
            product_id=plan.pk,
            quantity=2,
            start_date=DUE,
            send_card_link=False,
            actor=None,
            today=TODAY,
        )
    assert _event_inserts(ctx) == 1
    event = _one("subscription.created", subscription)
    assert (event.data["status"], event.data["amount"], event.data["currency"]) == (
        "scheduled",
        6000,
        "usd",
    )
    assert event.data["next_billing_date"] == "2026-02-15"


def test_a_refused_creation_records_nothing(stripe_hub, ready_account, portal):
    contact = ContactFactory(portal=portal)
    with pytest.raises(services.ChangeRefused):
        services.subscription_create_manual(
            portal=portal,
            contact=contact,
            product_id=ProductFactory(portal=portal).pk,  # one-time: refused
            quantity=1,
            start_date=DUE,
            send_card_link=True,
            actor=None,
            today=TODAY,
        )
    assert not Event.objects.filter(object_type="subscription").exists()


# --- changes from the tool --------------------------------------------------------------


def test_paused_then_resumed(make):
    subscription = make(next_billing_date=date(2026, 3, 15))
    with CaptureQueriesContext(connection) as ctx:
        _change(subscription, "pause")
    assert _event_inserts(ctx) == 1
    assert _one("subscription.paused", subscription).data["status"] == "paused"
    resumed = _change(subscription, "resume", new_date=date(2026, 4, 1))
    event = _one("subscription.resumed", resumed)
    assert (event.data["status"], event.data["next_billing_date"]) == ("active", "2026-04-01")
    with pytest.raises(services.ChangeRefused):
        _change(subscription, "resume", new_date=date(2026, 4, 2))  # not paused
    assert len(_events("subscription.resumed")) == 1


def test_updated_by_a_new_date_and_not_by_the_same_one(make):
    subscription = make(next_billing_date=date(2026, 3, 15))
    _change(subscription, "next_date", new_date=date(2026, 3, 20))
    _change(subscription, "next_date", new_date=date(2026, 3, 20))
    assert _one("subscription.updated", subscription).data["next_billing_date"] == "2026-03-20"


def test_updated_by_items_changed_and_added(make):
    subscription = make(next_billing_date=date(2026, 3, 15))
    item = subscription.items.get()
    with at(TODAY), CaptureQueriesContext(connection) as ctx:
        services.subscription_items_change(
            portal=subscription.portal,
            subscription_id=subscription.pk,
            changes=[services.ItemChange(item.pk, quantity=2, unit_amount=item.unit_amount)],
            actor=None,
            today=TODAY,
        )
    assert _event_inserts(ctx) == 1
    assert _one("subscription.updated", subscription).data["amount"] == 10000
    with at(TODAY):
        services.subscription_item_add(
            portal=subscription.portal,
            subscription_id=subscription.pk,
            addition=services.ItemAddition(quantity=1, name="Extra seat", unit_amount=2500),
            actor=None,
            today=TODAY,
        )
    events = _events("subscription.updated")
    assert [e.data["amount"] for e in events] == [10000, 12500]


def test_cancel_at_period_end_is_an_update_then_the_run_cancels_it(make, stripe_hub):
    subscription = make()
    _change(subscription, "cancel_at_period_end")
    _change(subscription, "cancel_at_period_end")  # already set: no second event
    updated = _one("subscription.updated", subscription)
    assert (updated.data["cancel_at_period_end"], updated.data["status"]) == (True, "active")
    assert not _events("subscription.cancelled")
    with at(DUE):
        tasks.billing_run.delay()
        tasks.billing_run.delay()
    cancelled = _one("subscription.cancelled", subscription)
    assert cancelled.data["status"] == "cancelled" and cancelled.data["ended_at"]
    assert not _events("subscription.renewed") and not Payment.objects.exists()


def test_cancelled_now(make):
    subscription = make(next_billing_date=date(2026, 3, 15))
    with CaptureQueriesContext(connection) as ctx:
        _change(subscription, "cancel_now")
    assert _event_inserts(ctx) == 1
    event = _one("subscription.cancelled", subscription)
    assert event.data["next_billing_date"] is None and event.data["cancelled_at"]
    with pytest.raises(services.ChangeRefused):
        _change(subscription, "cancel_now")
    assert len(_events("subscription.cancelled")) == 1


def test_a_rolled_back_change_leaves_no_event(make):
    subscription = make(next_billing_date=date(2026, 3, 15))
    with pytest.raises(RuntimeError), transaction.atomic():
        _change(subscription, "pause")
        _change(subscription, "resume", new_date=date(2026, 4, 1))
        _change(subscription, "cancel_now")
        raise RuntimeError("the caller's change fails afterwards")
    assert not Event.objects.filter(object_type="subscription").exists()
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE


def test_a_refused_change_records_nothing(make):
    subscription = make()  # due in two weeks: the freeze is two days
    with at(DUE - timedelta(days=1)), pytest.raises(services.ChangeRefused):
        services.subscription_change(
            portal=subscription.portal,
            subscription_id=subscription.pk,
            action="pause",
            actor=None,
            today=DUE - timedelta(days=1),
        )
    assert not Event.objects.filter(object_type="subscription").exists()


# --- the billing run ---------------------------------------------------------------------


def test_renewed_with_its_payment_succeeded_once(make, stripe_hub):
    subscription = make()
    with at(DUE):
        tasks.billing_run.delay()
        tasks.billing_run.delay()  # nothing due any more
    event = _one("subscription.renewed", subscription)
    assert (event.data["status"], event.data["periods_billed"]) == ("active", 2)
    assert event.data["next_billing_date"] == "2026-03-15"
    payment = Payment.objects.get(source=Payment.Source.SUBSCRIPTION)
    paid = _events("payment.succeeded")
    assert [(e.object_type, e.object_id) for e in paid] == [("payment", str(payment.pk))]
    assert set(paid[0].data) == set(catalogue.SAMPLE_OBJECTS["payment"])
    assert (paid[0].data["amount"], paid[0].data["currency"]) == (5000, "usd")
    assert not _events("subscription.completed")


def test_the_last_period_renews_and_completes(make, stripe_hub):
    subscription = make(term_periods=2)
    with at(DUE):
        tasks.billing_run.delay()
    assert _one("subscription.renewed", subscription).data["status"] == "completed"
    event = _one("subscription.completed", subscription)
    assert (event.data["periods_billed"], event.data["next_billing_date"]) == (2, None)


def test_a_batch_records_one_insert_per_type(make, stripe_hub):
    renewing = [make() for _ in range(4)]
    completing = make(term_periods=2)
    ids = [s.pk for s in [*renewing, completing]]
    with at(DUE), CaptureQueriesContext(connection) as ctx:
        result = billing.billing_charge_batch(subscription_ids=ids)
    assert result.succeeded == 5
    # payment.succeeded, subscription.renewed, subscription.completed.
    assert _event_inserts(ctx) == 3
    assert len(_events("subscription.renewed")) == 5
    assert len(_events("payment.succeeded")) == 5
    assert [e.object_id for e in _events("subscription.completed")] == [str(completing.pk)]


def test_the_webhook_racing_the_run_records_the_renewal_once(make, stripe_hub):
    subscription = make()
    with at(DUE):
        claims, _ = billing._claim(ids=[subscription.pk], owner="w", now=billing.hub_now())
        intent = billing._send(claims[0])
        attempt_id = claims[0].attempt.pk
        assert billing.attempt_record_success(attempt_id=attempt_id, payment_intent=intent)
        assert not billing.attempt_record_success(attempt_id=attempt_id, payment_intent=intent)
    _one("subscription.renewed", subscription)
    assert len(_events("payment.succeeded")) == 1


def test_payment_failed_and_past_due_then_only_payment_failed(failing, stripe_hub):
    with at(DUE), CaptureQueriesContext(connection) as ctx:
        tasks.billing_run.delay()
    # subscription.payment_failed, payment.failed and subscription.past_due: one INSERT
    # in the failure's transaction.
    assert _event_inserts(ctx) == 1
    failed = _one("subscription.payment_failed", failing)
    assert failed.data["status"] == "past_due"
    assert _one("subscription.past_due", failing).data["status"] == "past_due"
    [attempt] = BillingAttempt.objects.filter(status="failed")
    [payment_failed] = _events("payment.failed")
    assert payment_failed.object_id == attempt.payment_intent_id
    assert payment_failed.data["source"] == "subscription"
    assert payment_failed.data["checkout"] is None
    assert payment_failed.data["amount"] == attempt.cycle.amount
    assert payment_failed.data["failure_code"] == (attempt.decline_code or attempt.failure_code)
    failing.refresh_from_db()
    with time_machine.travel(failing.retry_at, tick=False):
        tasks.billing_run.delay()
    assert BillingAttempt.objects.filter(status="failed").count() == 2
    assert len(_events("subscription.payment_failed")) == 2
    assert len(_events("subscription.past_due")) == 1  # still past due: no new event
    assert len(_events("payment.failed")) == 2  # one per failed charge
    assert not _events("subscription.cancelled")


def test_the_last_failed_retry_cancels(failing, stripe_hub, portal):
    SubscriptionSettings.objects.create(portal=portal, retry_attempts=1, retry_window_days=1)
    with at(DUE):
        tasks.billing_run.delay()
    failing.refresh_from_db()
    with time_machine.travel(failing.retry_at, tick=False):
        tasks.billing_run.delay()
    failing.refresh_from_db()
    assert failing.status == Subscription.Status.CANCELLED
    assert len(_events("subscription.payment_failed")) == 2
    _one("subscription.past_due", failing)
    event = _one("subscription.cancelled", failing)
    assert event.data["status"] == "cancelled" and event.data["cancelled_at"]


def test_left_unpaid_after_the_last_retry_is_not_cancelled(failing, stripe_hub, portal):
    SubscriptionSettings.objects.create(
        portal=portal,
        retry_attempts=0,
        after_last_failure=SubscriptionSettings.AfterLastFailure.UNPAID,
    )
    with at(DUE):
        tasks.billing_run.delay()
    _one("subscription.payment_failed", failing)
    _one("subscription.past_due", failing)
    assert not _events("subscription.cancelled")


def test_a_retry_that_succeeds_renews(failing, stripe_hub, ready_account):
    with at(DUE):
        tasks.billing_run.delay()
    customer, pm = saved_card(stripe_hub, ready_account.stripe_id)
    Subscription.objects.filter(pk=failing.pk).update(
        stripe_customer_id=customer, payment_method_id=pm
    )
    failing.refresh_from_db()
    with time_machine.travel(failing.retry_at, tick=False):
        tasks.billing_run.delay()
    event = _one("subscription.renewed", failing)
    assert (event.data["status"], event.data["periods_billed"]) == ("active", 2)
    assert len(_events("payment.succeeded")) == 1


def test_a_failed_batch_transaction_leaves_no_event(make, stripe_hub):
    subscription = make()
    with at(DUE):
        claims, _ = billing._claim(ids=[subscription.pk], owner="w", now=billing.hub_now())
        intent = billing._send(claims[0])
        with pytest.raises(RuntimeError), transaction.atomic():
            billing.attempts_record_success(paid=[(subscription.pk, claims[0].attempt.pk, intent)])
            raise RuntimeError("crash before commit")
    assert not Event.objects.filter(object_type__in=["subscription", "payment"]).exists()
    assert not Payment.objects.exists()


def test_a_batch_across_portals_records_each_event_in_its_own_portal(portal, other_portal):
    ours, theirs = SubscriptionFactory(portal=portal), SubscriptionFactory(portal=other_portal)
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        event_record_many(portal=None, type="subscription.renewed", objs=[ours, theirs])
    assert _event_inserts(ctx) == 1
    assert sorted(Event.objects.values_list("object_id", "portal_id")) == sorted(
        [(str(ours.pk), portal.pk), (str(theirs.pk), other_portal.pk)]
    )
    with pytest.raises(EventError, match="portal_id"), transaction.atomic():
        event_record_many(portal=None, type="product.updated", objs=[portal])
