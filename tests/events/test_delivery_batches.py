"""A worker's batches: their cost in queries does not grow with their size, new events'
deliveries are leased to the worker that fans them out, and a burst of events is taken
in batches by the first runs."""

import datetime as dt

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from commerce.catalog.services import product_create
from commerce.customers.services import contact_create
from commerce.events import delivery as deliveries
from commerce.events import endpoints
from commerce.events.models import Delivery, DeliveryAttempt, Event
from commerce.events.tasks import deliver_due, deliver_event

from .support import spec_signature_valid

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)


def _record(portal, count: int, start: int = 0) -> None:
    """`count` product.created events, committed but not delivered (their enqueue on
    commit is not run here: as if every message were lost)."""
    with transaction.atomic():
        for i in range(start, start + count):
            product_create(portal=portal, name=f"Product {i}", unit_price=100 + i)


def _statements(queries: CaptureQueriesContext) -> list[str]:
    # Savepoints are the test's wrapping transaction (BEGIN/COMMIT in production).
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"].upper()]


def _run() -> tuple[deliveries.RunResult, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        result = deliveries.deliveries_run()
    return result, _statements(queries)


def test_a_batch_of_new_events_costs_the_same_queries_whatever_its_size(portal, receiver):
    endpoints.endpoint_create(portal=portal, url=receiver.url())
    _record(portal, 3)
    small, small_sql = _run()
    _record(portal, 60, start=3)
    large, large_sql = _run()
    assert (small.attempts, large.attempts) == (3, 60)
    assert len(small_sql) == len(large_sql), (small_sql, large_sql)
    assert Delivery.objects.filter(status="succeeded").count() == 63
    assert DeliveryAttempt.objects.count() == 63


def test_a_batch_of_retries_costs_the_same_queries_whatever_its_size(portal, receiver):
    url = receiver.url(status=500)
    endpoints.endpoint_create(portal=portal, url=url)
    counts = []
    with time_machine.travel(T0, tick=False) as clock:
        for size in (3, 60):
            _record(portal, size, start=len(counts) * 100)
            deliveries.deliveries_run()  # first attempts: all fail
            clock.shift(deliveries.RETRY_SCHEDULE[1])
            result, sql = _run()  # the retries, claimed from the due index
            assert result.attempts == size
            counts.append(len(sql))
            clock.shift(dt.timedelta(hours=1))
    assert counts[0] == counts[1]


def test_a_batch_costs_these_queries_on_postgresql(postgres, portal, receiver):
    endpoints.endpoint_create(portal=portal, url=receiver.url())
    _record(portal, 40)
    result, sql = _run()
    assert result.attempts == 40
    # Claim due deliveries (none); fan out: lock the events, their portals' endpoints,
    # insert the deliveries (leased), mark the events; record: the attempts, the
    # deliveries' new state (one state: delivered). Then the next batch: fan-out finds
    # nothing new, and a last claim nothing due. (Each transaction's BEGIN and COMMIT
    # are the test's savepoints here, left out.)
    assert [s.split()[0] for s in sql] == [
        "UPDATE",
        "SELECT", "SELECT", "INSERT", "UPDATE",
        "INSERT", "UPDATE",
        "SELECT", "UPDATE",
    ], sql  # fmt: skip


def test_new_deliveries_are_leased_to_the_worker_that_fans_them_out(portal, receiver, settings):
    endpoint = endpoints.endpoint_create(portal=portal, url=receiver.url())
    with time_machine.travel(T0, tick=False) as clock:
        _record(portal, 2)
        fanned, held = deliveries.events_fan_out_claim(limit=10)  # then the worker is SIGKILLed
        assert (
            fanned == 2
            and len(held) == 2
            and not Event.objects.filter(fanned_out_at__isnull=True).exists()
        )
        deliver_due()
        assert receiver.at() == []  # nobody else takes them while the lease lasts
        clock.shift(dt.timedelta(seconds=settings.WEBHOOK_DELIVERY_LEASE_SECONDS + 1))
        deliver_due()
    got = receiver.at()
    assert sorted(r.webhook_id for r in got) == sorted(d.message_id for d in held)
    assert all(spec_signature_valid(endpoint.secret, r.headers, r.body) for r in got)
    assert Delivery.objects.filter(status="succeeded").count() == 2


def test_an_event_s_run_takes_the_other_pending_events_in_batches(portal, receiver):
    endpoints.endpoint_create(portal=portal, url=receiver.url())
    _record(portal, 30)
    first = Event.objects.order_by("id").first()
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        assert deliver_event(first.pk) == 30
    assert len({r.json["id"] for r in receiver.at()}) == 30
    # One batch for all 30, not a fan-out, claim and record per event.
    inserts = [s for s in _statements(queries) if s.startswith("INSERT")]
    assert len(inserts) == 2, inserts  # the deliveries, then their attempts
    later = Event.objects.order_by("id").last()
    assert later is not None
    with CaptureQueriesContext(connection) as queries:
        assert deliver_event(later.pk) == 0  # its event went out with the others
    assert len(receiver.at()) == 30


def test_a_run_goes_on_past_a_batch_of_events_no_endpoint_wants(portal, receiver):
    endpoints.endpoint_create(portal=portal, url=receiver.url(), event_types=["contact.created"])
    _record(portal, 5)  # product.created: fanned out into no delivery
    with transaction.atomic():
        contact_create(portal=portal, email="ada@example.com")
    result = deliveries.deliveries_run(batch=2)
    assert result.attempts == 1
    assert [r.json["type"] for r in receiver.at()] == ["contact.created"]
    assert not Event.objects.filter(fanned_out_at__isnull=True).exists()


def test_an_answer_with_nul_bytes_is_recorded(portal, receiver):
    # PostgreSQL refuses NUL in text: the whole batch's record failed and its
    # deliveries were sent again and again.
    endpoints.endpoint_create(portal=portal, url=receiver.url(body=b"ok\x00\xff done"))
    _record(portal, 2)
    assert deliveries.deliveries_run().attempts == 2
    assert set(DeliveryAttempt.objects.values_list("response_body", flat=True)) == {
        "ok\ufffd\ufffd done"
    }
    assert Delivery.objects.filter(status="succeeded").count() == 2
