"""commerce.db.update_rows: each row gets its own values, in one statement on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commerce.db import update_rows
from subscriptions.models import Subscription
from tests.factories import ContactFactory, SubscriptionFactory
from tests.support import require


def subscriptions(portal, count: int) -> list[Subscription]:
    """`count` subscriptions of one contact, none billed yet."""
    return SubscriptionFactory.create_batch(
        count,
        portal=portal,
        contact=ContactFactory(portal=portal),
        start_date=dt.date(2026, 1, 1),
        periods_billed=0,
        next_billing_date=dt.date(2026, 2, 1),
    )


def check_rows_get_their_own_values(portal):
    first, second, untouched = subscriptions(portal, 3)
    ended = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC)
    update_rows(
        Subscription,
        [
            (first.pk, {"periods_billed": 7, "next_billing_date": None, "ended_at": ended}),
            (
                second.pk,
                {"periods_billed": 2, "next_billing_date": dt.date(2026, 4, 1), "ended_at": None},
            ),
        ],
        ["periods_billed", "next_billing_date", "ended_at"],
    )
    first.refresh_from_db()
    second.refresh_from_db()
    untouched.refresh_from_db()
    assert (first.periods_billed, first.next_billing_date, first.ended_at) == (7, None, ended)
    assert (second.periods_billed, second.next_billing_date, second.ended_at) == (
        2,
        dt.date(2026, 4, 1),
        None,
    )
    assert (untouched.periods_billed, untouched.next_billing_date) == (0, dt.date(2026, 2, 1))


def test_each_row_gets_its_own_values(db, portal):
    check_rows_get_their_own_values(portal)


def test_postgresql_updates_every_row_in_one_statement(postgres, portal):
    check_rows_get_their_own_values(portal)
    rows = subscriptions(portal, 25)
    with CaptureQueriesContext(connection) as queries:
        update_rows(
            Subscription,
            [(s.pk, {"periods_billed": i}) for i, s in enumerate(rows)],
            ["periods_billed"],
        )
    assert len(queries) == 1
    assert sorted(
        Subscription.objects.filter(pk__in=[s.pk for s in rows]).values_list(
            "periods_billed", flat=True
        )
    ) == list(range(25))


def test_nothing_to_update_runs_no_query(db):
    with CaptureQueriesContext(connection) as queries:
        update_rows(Subscription, [], ["periods_billed"])
    assert len(queries) == 0


def test_only_concrete_fields(db):
    with pytest.raises(AssertionError):
        update_rows(Subscription, [(1, {"items": None})], ["items"])


def test_postgresql_reuses_the_plan_of_a_repeated_query(postgres, portal):
    # The checkout page's hot query, like any other, is planned once per connection.
    for _ in range(6):
        list(Subscription.objects.filter(portal=portal, amount__gte=100).values_list("pk"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%subscriptions_subscription%amount%"],
        )
        (prepared,) = cursor.fetchone()
    assert prepared == 1


@pytest.mark.django_db(transaction=True)
def test_a_read_outlives_a_connection_that_died_while_idle():
    from django.db import connections

    from commerce.db import fetch_one

    require(connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL=postgres://…")
    connection.ensure_connection()
    assert connection.health_check_enabled  # CONN_HEALTH_CHECKS, as in production
    (pid,) = fetch_one("SELECT pg_backend_pid()", [])
    # The server ends the idle connection, as a PostgreSQL restart or failover would.
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    connection.health_check_done = False  # a new request
    assert fetch_one("SELECT %s::int + 1", [41]) == (42,)
    (new_pid,) = fetch_one("SELECT pg_backend_pid()", [])
    assert new_pid != pid
