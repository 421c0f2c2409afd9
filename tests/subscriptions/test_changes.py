"""Changes from the subscriptions tool, through the views, then the billing run.

Given a monthly subscription (started Jan 15, next charge Feb 15) on the portal's
connected account in fakestripe with a saved card; when an admin changes it on Feb 1;
then the change is saved, recorded and e-mailed, or refused with the reason and nothing
changes — and the next billing run charges what the change says.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail

from commerce.catalog.models import BillingFrequency
from subscriptions import tasks
from subscriptions.models import BillingCycle, Subscription, SubscriptionEvent
from tests.factories import ProductFactory

from .support import make_subscription, saved_card, succeeded_intents

pytestmark = pytest.mark.django_db

START = date(2026, 1, 15)
TODAY = date(2026, 2, 1)
DUE = date(2026, 2, 15)


def at(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 12, tzinfo=UTC), tick=False)


@pytest.fixture
def account_id(ready_account) -> str:
    return ready_account.stripe_id


@pytest.fixture
def subscription(stripe_hub, portal, account_id) -> Subscription:
    customer, pm = saved_card(stripe_hub, account_id)
    return make_subscription(
        portal, account=account_id, customer=customer, payment_method=pm, start=START
    )


def _bill_on(day: date) -> None:
    with at(day):
        tasks.billing_run.delay()


def _post(client, path: str, data: dict, *, day: date = TODAY, on_commit=None):
    with at(day):
        if on_commit is None:
            return client.post(path, data)
        with on_commit(execute=True):
            return client.post(path, data)


def _unchanged(subscription: Subscription) -> None:
    before = (subscription.amount, subscription.status, subscription.next_billing_date)
    subscription.refresh_from_db()
    assert (subscription.amount, subscription.status, subscription.next_billing_date) == before
    assert subscription.items.count() == 1
    assert not SubscriptionEvent.objects.filter(subscription=subscription).exists()
    assert mail.outbox == []


# --- Adding an item ----------------------------------------------------------------------


def test_admin_adds_a_library_product_and_the_next_period_charges_it(
    admin_client_, stripe_hub, account_id, subscription, portal, django_capture_on_commit_callbacks
):
    seats = ProductFactory(
        portal=portal,
        name="Extra seats",
        unit_price=3000,
        billing_frequency=BillingFrequency.MONTHLY,
        term_periods=12,
    )
    response = _post(
        admin_client_,
        f"/subscriptions/{subscription.pk}/items/",
        {"intent": "add", "source": "product", "product": seats.pk, "quantity": 2, "confirm": "on"},
        on_commit=django_capture_on_commit_callbacks,
    )

    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.amount == 5000 + 6000
    added = subscription.items.get(product=seats)
    assert (added.name, added.sku, added.quantity, added.unit_amount, added.amount) == (
        "Extra seats",
        seats.sku,
        2,
        3000,
        6000,
    )
    event = subscription.events.get(kind="item_added")
    assert event.actor is not None
    assert "added Extra seats, quantity 2 at $30.00" in event.message and "$110.00" in event.message
    assert [m.to for m in mail.outbox] == [[subscription.contact.email]]
    assert "added Extra seats, quantity 2" in mail.outbox[0].body

    _bill_on(DUE)

    assert [pi["amount"] for pi in succeeded_intents(stripe_hub, account_id)] == [11000]


def test_admin_adds_a_custom_line(admin_client_, subscription):
    response = _post(
        admin_client_,
        f"/subscriptions/{subscription.pk}/items/",
        {
            "intent": "add",
            "source": "custom",
            "name": "Priority support",
            "quantity": 3,
            "unit_price": "12.50",
            "confirm": "on",
        },
    )

    assert response.status_code == 302
    subscription.refresh_from_db()
    line = subscription.items.get(name="Priority support")
    assert (line.product, line.quantity, line.unit_amount, line.amount) == (None, 3, 1250, 3750)
    assert subscription.amount == 8750
    assert [i.name for i in subscription.items.all()] == ["Growth plan", "Priority support"]


def test_item_added_while_a_period_is_overdue_counts_from_the_next_period(
    admin_client_, stripe_hub, account_id, subscription, portal
):
    """The overdue period keeps the amount its cycle froze when it was first charged."""
    with at(DUE):
        BillingCycle.objects.create(
            portal=portal,
            subscription=subscription,
            period=2,
            period_start=DUE,
            amount=5000,
            status=BillingCycle.Status.RETRYING,
            attempt_count=1,
        )
        Subscription.objects.filter(pk=subscription.pk).update(
            status=Subscription.Status.PAST_DUE,
            retry_at=datetime(2026, 2, 17, 12, tzinfo=UTC),
        )
    response = _post(
        admin_client_,
        f"/subscriptions/{subscription.pk}/items/",
        {
            "intent": "add",
            "source": "custom",
            "name": "Seat",
            "quantity": 1,
            "unit_price": "20",
            "confirm": "on",
        },
        day=date(2026, 2, 16),
    )
    assert response.status_code == 302

    _bill_on(date(2026, 2, 17))
    _bill_on(date(2026, 3, 15))

    amounts = [pi["amount"] for pi in succeeded_intents(stripe_hub, account_id)]
    assert sorted(amounts) == [5000, 7000]
    subscription.refresh_from_db()
    assert (subscription.status, subscription.periods_billed) == ("active", 3)


@pytest.mark.parametrize(
    ("frequency", "term", "reason"),
    [
        (BillingFrequency.YEARLY, None, "is billed every year until cancelled"),
        (BillingFrequency.ONE_TIME, None, "is billed once (one-time)"),
        (BillingFrequency.MONTHLY, 3, "is billed every month for 3 months"),
    ],
)
def test_product_on_another_schedule_is_refused_with_the_reason(
    admin_client_, subscription, portal, frequency, term, reason
):
    product = ProductFactory(
        portal=portal, name="Audit", billing_frequency=frequency, term_periods=term
    )
    response = _post(
        admin_client_,
        f"/subscriptions/{subscription.pk}/items/",
        {
            "intent": "add",
            "source": "product",
            "product": product.pk,
            "quantity": 1,
            "confirm": "on",
        },
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert f"Audit {reason}; this subscription bills every month for 12 months" in page
    _unchanged(subscription)


def test_adding_an_item_is_refused_within_two_days_of_a_charge(admin_client_, subscription, portal):
    response = _post(
        admin_client_,
        f"/subscriptions/{subscription.pk}/items/",
        {
            "intent": "add",
            "source": "custom",
            "name": "Late add",
            "quantity": 1,
            "unit_price": "5",
            "confirm": "on",
        },
        day=date(2026, 2, 13),
    )

    assert response.status_code == 400
    assert "Changes are closed 2 days before a charge" in response.content.decode()
    _unchanged(subscription)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"source": "custom", "name": "Seat", "quantity": 1, "unit_price": "5"}, "Tick the box"),
        ({"source": "custom", "name": "Seat", "quantity": 1, "confirm": "on"}, "unit price"),
        ({"source": "custom", "quantity": 1, "unit_price": "5", "confirm": "on"}, "Name the"),
        ({"source": "product", "quantity": 1, "confirm": "on"}, "Choose a product"),
        (
            {"source": "custom", "name": "Seat", "quantity": 0, "unit_price": "5", "confirm": "on"},
            "greater than or equal to 1",
        ),
        (
            {
                "source": "custom",
                "name": "Seat",
                "quantity": 1,
                "unit_price": "-5",
                "confirm": "on",
            },
            "negative",
        ),
    ],
)
def test_incomplete_addition_is_refused_with_the_reason(admin_client_, subscription, data, message):
    response = _post(
        admin_client_, f"/subscriptions/{subscription.pk}/items/", {"intent": "add", **data}
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    _unchanged(subscription)


def test_another_portals_product_cannot_be_added(admin_client_, subscription, other_portal):
    foreign = ProductFactory(portal=other_portal, billing_frequency=BillingFrequency.MONTHLY)
    response = _post(
        admin_client_,
        f"/subscriptions/{subscription.pk}/items/",
        {
            "intent": "add",
            "source": "product",
            "product": foreign.pk,
            "quantity": 1,
            "confirm": "on",
        },
    )

    assert response.status_code == 400
    _unchanged(subscription)


# --- Next billing date -------------------------------------------------------------------


def test_admin_moves_the_next_billing_date_and_the_run_charges_on_it(
    admin_client_, stripe_hub, account_id, subscription, django_capture_on_commit_callbacks
):
    response = _post(
        admin_client_,
        f"/subscriptions/{subscription.pk}/change/",
        {"action": "next_date", "new_date": "2026-02-20", "confirm": "on"},
        on_commit=django_capture_on_commit_callbacks,
    )

    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.next_billing_date == date(2026, 2, 20)
    assert subscription.events.get(kind="next_date").message == "Next charge moved to Feb 20, 2026."
    assert "Feb 20, 2026" in mail.outbox[-1].body

    _bill_on(DUE)
    assert succeeded_intents(stripe_hub, account_id) == []

    _bill_on(date(2026, 2, 20))
    assert [pi["amount"] for pi in succeeded_intents(stripe_hub, account_id)] == [5000]


@pytest.mark.parametrize(
    ("new_date", "day", "message"),
    [
        ("2026-01-20", TODAY, "Choose a date more than 2 days from today."),
        ("2026-02-03", TODAY, "Choose a date more than 2 days from today."),
        ("2026-03-01", date(2026, 2, 13), "Changes are closed 2 days before a charge"),
    ],
    ids=["in-the-past", "too-soon", "charge-due-within-two-days"],
)
def test_next_billing_date_change_is_refused_with_the_reason(
    admin_client_, subscription, new_date, day, message
):
    response = _post(
        admin_client_,
        f"/subscriptions/{subscription.pk}/change/",
        {"action": "next_date", "new_date": new_date, "confirm": "on"},
        day=day,
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    _unchanged(subscription)


# --- Cancelling --------------------------------------------------------------------------


def test_cancel_now_ends_the_subscription_and_no_run_charges_it(
    admin_client_, stripe_hub, account_id, subscription, django_capture_on_commit_callbacks
):
    response = _post(
        admin_client_,
        f"/subscriptions/{subscription.pk}/change/",
        {"action": "cancel_now", "confirm": "on"},
        on_commit=django_capture_on_commit_callbacks,
    )

    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.CANCELLED
    assert subscription.next_billing_date is None
    assert subscription.cancelled_at is not None and subscription.ended_at is not None
    assert "Cancelled now" in mail.outbox[-1].body

    _bill_on(DUE)
    _bill_on(date(2026, 3, 15))

    assert succeeded_intents(stripe_hub, account_id) == []
    assert not BillingCycle.objects.exists()
    subscription.refresh_from_db()
    assert subscription.periods_billed == 1


def test_cancel_at_period_end_through_the_view_then_the_run_ends_it(
    admin_client_, stripe_hub, account_id, subscription
):
    response = _post(
        admin_client_,
        f"/subscriptions/{subscription.pk}/change/",
        {"action": "cancel_at_period_end", "confirm": "on"},
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end and subscription.status == "active"

    _bill_on(DUE)

    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.CANCELLED
    assert subscription.next_billing_date is None
    assert succeeded_intents(stripe_hub, account_id) == []
    assert not BillingCycle.objects.exists()


# --- Who may change ----------------------------------------------------------------------


def test_billing_admin_changes_through_the_view(billing_client, billing_admin, subscription):
    response = _post(
        billing_client,
        f"/subscriptions/{subscription.pk}/change/",
        {"action": "pause", "confirm": "on"},
    )

    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.PAUSED
    assert subscription.events.get(kind="pause").actor == billing_admin


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("change/", {"action": "next_date", "new_date": "2026-03-01", "confirm": "on"}),
        ("change/", {"action": "cancel_now", "confirm": "on"}),
        ("items/", {"intent": "add", "source": "custom", "name": "X", "quantity": 1}),
    ],
)
def test_sales_rep_may_view_but_not_change(rep_client, subscription, path, data):
    data = {**data, "confirm": "on"}
    with at(TODAY):
        assert rep_client.get(f"/subscriptions/{subscription.pk}/").status_code == 200
    response = _post(rep_client, f"/subscriptions/{subscription.pk}/{path}", data)

    assert response.status_code == 403
    _unchanged(subscription)
