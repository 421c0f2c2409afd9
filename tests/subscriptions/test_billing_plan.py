"""The billing run never scans subscriptions that are not due (PostgreSQL).

Given 20,000 subscriptions that are not due (analyzed, as autovacuum would) and a few
due ones; when a billing run bills them; then PostgreSQL's plan of every statement the
run sent that reads the subscriptions table goes through an index — the listing of due
ids through the named (status, next_billing_date) and (status, retry_at) indexes — and
none is a sequential scan of the table.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from payments.models import Payment
from subscriptions import tasks
from subscriptions.models import Subscription
from tests.factories import ContactFactory

from .support import make_subscription, saved_card

TABLE = Subscription._meta.db_table
NOT_DUE = 20_000


def _status(i: int) -> str:
    return "past_due" if i % 20 == 0 else "paused" if i % 20 == 1 else "active"


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
def test_billing_run_reads_due_subscriptions_through_the_indexes(
    postgres, stripe_hub, ready_account, portal
):
    account = ready_account.stripe_id
    customer, pm = saved_card(stripe_hub, account)
    today = timezone.localdate()
    contact = ContactFactory(portal=portal)
    not_due = [
        Subscription(
            portal=portal,
            contact=contact,
            status=_status(i),
            billing_frequency="monthly",
            term_periods=None,
            amount=5000,
            start_date=today - timedelta(days=10),
            next_billing_date=today + timedelta(days=1 + i % 27),
            retry_at=timezone.now() + timedelta(days=2) if _status(i) == "past_due" else None,
            periods_billed=1,
            stripe_account_id=account,
            stripe_customer_id=customer,
            payment_method_id=pm,
        )
        for i in range(NOT_DUE)
    ]
    Subscription.objects.bulk_create(not_due, batch_size=2000)
    due = [
        make_subscription(
            portal,
            account=account,
            customer=customer,
            payment_method=pm,
            start=today - timedelta(days=31),
            next_billing_date=today,
            contact=contact,
        )
        for _ in range(3)
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TABLE}")

    with CaptureQueriesContext(connection) as queries:
        tasks.billing_run.delay()

    assert Payment.objects.filter(source=Payment.Source.SUBSCRIPTION).count() == len(due)
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if f'FROM "{TABLE}"' in q["sql"] and q["sql"].lstrip().upper().startswith("SELECT")
    ]
    plans = {sql: _plan(sql) for sql in reads}
    listing = [
        plan
        for sql, plan in plans.items()
        if "FOR UPDATE" not in sql and '"next_billing_date" <=' in sql
    ]
    assert len(listing) == 1, list(plans)
    assert "subscription_due_idx" in listing[0], listing[0]
    assert "subscription_retry_idx" in listing[0], listing[0]
    claims = [plan for sql, plan in plans.items() if "SKIP LOCKED" in sql]
    assert claims, list(plans)
    for sql, plan in plans.items():
        assert f"Seq Scan on {TABLE}" not in plan, f"{sql}\n{plan}"
