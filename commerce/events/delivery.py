"""Delivery of events to webhook endpoints, following Standard Webhooks.

After an event commits, `deliver_event` (a task enqueued on commit) starts a run. A
worker's run (`deliveries_run`, also what `deliver_due` runs) takes batch after batch:
the deliveries that are due (retries, and what the sweeper fanned out), topped up with
new events, which it fans out, one `Delivery` per enabled endpoint of the portal that
wants the type, leased to itself, and attempts at once. A periodic sweeper
(`events_sweep`, Celery beat) fans out whatever was missed and enqueues runs for due
deliveries: the database, not an in-memory countdown, says what is due, so a killed
worker, a broker restart or a deploy loses nothing. Every step is idempotent:

- fan-out claims events not fanned out yet with SELECT … FOR UPDATE SKIP LOCKED, and a
  delivery is unique per event and endpoint (its `message_id`, the `webhook-id`
  header, is the same on every attempt);
- a worker claims due deliveries the same way and leases them (`lease_until`) until it
  records their attempts; the deliveries it fans out are born leased to it. One it
  dies holding is due again when the lease runs out.

A batch costs the same queries whatever its size (tests/events/test_delivery_batches.py):
claim the due ones (one UPDATE … RETURNING), fan out new events (lock them, read their
portals' endpoints, INSERT the deliveries, mark the events), then, per second of POSTs,
one INSERT of the attempts and one UPDATE per distinct new state of the deliveries (one
when all succeeded). Ids and rows travel as arrays (commerce/events/bulk.py).

A POST succeeds when the endpoint answers 2xx within 15 seconds. After a failure the
next attempt comes after RETRY_SCHEDULE (about 27 hours for all eight); an endpoint
that has failed every attempt for DISABLE_AFTER is disabled and its super admins are
e-mailed. When an endpoint succeeds again after failing, its backlog is sent at once.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from standardwebhooks import Webhook

from commerce.clock import hub_now
from commerce.notifications import notify_portal
from commerce.portals.permissions import Role

from . import bulk
from .catalogue import TEST_EVENT
from .models import Delivery, DeliveryAttempt, Event, WebhookEndpoint, new_message_ids
from .network import TIMEOUT_SECONDS, Poster, Response

log = logging.getLogger(__name__)
_json_str = encode_basestring  # a str as a JSON string (C), as json.dumps(ensure_ascii=False)

# The wait before each attempt: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
DISABLE_AFTER = timedelta(days=5)
DUE_RECHECK_SECONDS = 1.0
USER_AGENT = "CommerceHub-Webhooks/1.0"
PENDING = Delivery.Status.PENDING


def retry_schedule() -> tuple[timedelta, ...]:
    """RETRY_SCHEDULE, unless WEBHOOK_RETRY_SCHEDULE_SECONDS sets another (tests of real
    workers compress the hours into seconds)."""
    custom = settings.WEBHOOK_RETRY_SCHEDULE_SECONDS
    return tuple(timedelta(seconds=s) for s in custom) if custom else RETRY_SCHEDULE


def lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_DELIVERY_LEASE_SECONDS)


# --- The request -----------------------------------------------------------------------


def event_body(event: Event | EventView, portal_public_id: Any) -> bytes:
    """The JSON body of every delivery of `event`, `{id, type, created, portal, data:
    {object}}`: the same bytes on every attempt. A worker's EventView carries the
    object's JSON as the database stores it, which goes into the body as it is (no
    parse and dump per delivery)."""
    if isinstance(event, EventView):
        data = event.data_json
    else:
        data = json.dumps(event.data, separators=(",", ":"), ensure_ascii=False)
    return (
        f'{{"id":{_json_str(event.public_id)},"type":{_json_str(event.type)},'
        f'"created":"{event.created.astimezone(UTC).isoformat()}",'
        f'"portal":{_json_str(str(portal_public_id))},"data":{{"object":{data}}}}}'
    ).encode()


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret, and the previous one while its 24 hours of overlap last."""
    secrets = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        secrets.append(endpoint.previous_secret)
    return secrets


def signed_headers(
    message_id: str, body: bytes, signers: list[Webhook], timestamp: datetime
) -> dict[str, str]:
    # Several signatures, space-separated, let a receiver roll its secret (the spec).
    signature = " ".join(
        signer.sign(msg_id=message_id, timestamp=timestamp, data=body) for signer in signers
    )
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(math.floor(timestamp.timestamp())),
        "webhook-signature": signature,
        "User-Agent": USER_AGENT,
    }


# --- Fan-out and claim ----------------------------------------------------------------


@dataclass
class EventView:
    """What a delivery's body needs of its event."""

    public_id: str
    type: str
    created: datetime
    data_json: str  # its `data` as stored (see _DATA_JSON)


@dataclass
class Claimed:
    """A claimed delivery, read without model instances (the hot path of a worker)."""

    pk: int
    message_id: str
    attempts: int
    endpoint_id: int
    endpoint: WebhookEndpoint
    event: EventView
    portal_public_id: Any
    status: str = PENDING
    next_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str = ""
    delivered_at: datetime | None = None


# An event's `data` as the JSON text the database holds, for the body as it is.
_DATA_JSON = Cast("data", TextField())


def events_fan_out(*, event_ids: list[int] | None = None, limit: int = 500) -> int:
    """Creates the deliveries of events not fanned out yet (or of `event_ids` only), one
    per enabled endpoint of the event's portal that wants its type, due now for any
    worker (the sweeper's way). Claims the events with FOR UPDATE SKIP LOCKED, so
    concurrent calls share the work; idempotent. Returns how many events it fanned out."""
    return _fan_out(event_ids=event_ids, limit=limit, claim=False)[0]


def events_fan_out_claim(*, limit: int) -> tuple[int, list[Claimed]]:
    """As events_fan_out, for a worker about to deliver: the deliveries it creates are
    born leased to it, and returned with what a POST needs, so their first attempt
    costs no claim. Should the worker die, they are due when the lease runs out.
    Returns how many events it fanned out (some may have wanted no endpoint) and the
    deliveries."""
    return _fan_out(event_ids=None, limit=limit, claim=True)


def _fan_out(*, event_ids: list[int] | None, limit: int, claim: bool) -> tuple[int, list[Claimed]]:
    now = hub_now()
    leased = now + lease() if claim else None
    with transaction.atomic():
        pending = Event.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            fanned_out_at__isnull=True
        )
        if event_ids is not None:
            pending = pending.filter(pk__in=event_ids)
        fields: list[Any] = ["id", "portal_id", "type"]
        if claim:
            fields += ["public_id", "created", _DATA_JSON, "portal__public_id"]
        # No ORDER BY (see _lease_due): the first pending events the index gives.
        events = list(pending.order_by().values_list(*fields)[:limit])
        if not events:
            return 0, []
        endpoints: dict[int, list[WebhookEndpoint]] = defaultdict(list)
        for endpoint in WebhookEndpoint.objects.filter(
            portal_id__in={e[1] for e in events}, enabled=True
        ).order_by():
            endpoints[endpoint.portal_id].append(endpoint)
        wanted = [
            (event, endpoint)
            for event in events
            if event[2] != TEST_EVENT
            for endpoint in endpoints[event[1]]
            if not endpoint.event_types or event[2] in endpoint.event_types
        ]
        # Plain rows, not model instances (which would cost more than the insert). The
        # unique (event, endpoint) makes a second fan-out a no-op that keeps the first
        # `message_id`; only the rows inserted now come back.
        inserted = bulk.insert(
            Delivery,
            ["portal_id", "event_id", "endpoint_id", "message_id"],
            [
                (event[1], event[0], endpoint.pk, message_id)
                for (event, endpoint), message_id in zip(
                    wanted, new_message_ids(len(wanted)), strict=True
                )
            ],
            same={
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "lease_until": leased,
                "last_error": "",
                "created_at": now,
            },
            on_conflict=("event_id", "endpoint_id"),
            returning=("id", "event_id", "endpoint_id", "message_id") if claim else (),
        )
        bulk.update(Event, [e[0] for e in events], fanned_out_at=now)
    if not claim:
        return len(events), []
    # id → (its view, its portal's public id), from the columns read with the lock.
    views = {e[0]: (EventView(e[3], e[2], e[4], e[5]), e[6]) for e in events}
    by_pk = {endpoint.pk: endpoint for group in endpoints.values() for endpoint in group}
    return len(events), [
        Claimed(
            pk=pk,
            message_id=message_id,
            attempts=0,
            endpoint_id=endpoint_id,
            endpoint=by_pk[endpoint_id],
            event=views[event_id][0],
            portal_public_id=views[event_id][1],
        )
        for pk, event_id, endpoint_id, message_id in inserted
    ]


def due_deliveries(now: datetime | None = None) -> QuerySet[Delivery]:
    """Pending deliveries whose time has come and that no worker holds: read through
    the partial index on pending rows, so delivered ones are never scanned."""
    now = now or hub_now()
    return Delivery.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lte=now),
        status=PENDING,
        next_attempt_at__lte=now,
    )


def _lease_due(*, limit: int, now: datetime) -> list[int]:
    """Leases up to `limit` due deliveries in one statement (no transaction to open and
    close when nothing is due): rows another worker has locked are skipped, and a row
    leased meanwhile is re-checked against the lease and left alone. The lease is a
    column no index holds, so a claim adds nothing to the index of due rows.

    In no particular order (in practice the table's, roughly oldest first): asked to
    sort, PostgreSQL reads and sorts every due row whenever its statistics say there
    are few (the usual case, since delivered rows are the many), so under a burst each
    claim cost as much as the whole backlog (measured with EXPLAIN ANALYZE: 3 ms per
    batch at 5,000 pending, growing with it, against 0.3 ms)."""
    table = connection.ops.quote_name(Delivery._meta.db_table)
    lock = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET lease_until = %s WHERE id IN ("  # noqa: S608
            f"SELECT id FROM {table} WHERE status = %s AND next_attempt_at <= %s"
            " AND (lease_until IS NULL OR lease_until <= %s)"
            f" LIMIT %s{lock}) RETURNING id",
            [adapt(now + lease()), PENDING, adapt(now), adapt(now), limit],
        )
        return [row[0] for row in cursor.fetchall()]


def deliveries_claim(*, limit: int) -> list[Claimed]:
    """Claims up to `limit` due deliveries by leasing them (FOR UPDATE SKIP LOCKED), and
    returns them with what a POST needs (event, endpoint, portal) in two more queries
    (leaving out any deleted with its endpoint meanwhile)."""
    ids = _lease_due(limit=limit, now=hub_now())
    if not ids:
        return []
    rows = list(
        Delivery.objects.filter(pk__any_of=ids)
        .order_by("id")
        .values_list(
            "id",
            "message_id",
            "attempts",
            "endpoint_id",
            "event__public_id",
            "event__type",
            "event__created",
            Cast("event__data", TextField()),
            "portal__public_id",
        )
    )
    endpoints = WebhookEndpoint.objects.in_bulk({row[3] for row in rows})
    return [
        Claimed(
            pk=pk,
            message_id=message_id,
            attempts=attempts,
            endpoint_id=endpoint_id,
            endpoint=endpoints[endpoint_id],
            event=EventView(public_id, type_, created, data),
            portal_public_id=portal_public_id,
        )
        for (
            pk,
            message_id,
            attempts,
            endpoint_id,
            public_id,
            type_,
            created,
            data,
            portal_public_id,
        ) in rows
        if endpoint_id in endpoints
    ]


@dataclass
class _Outcome:
    delivery: Claimed
    attempted_at: datetime
    response: Response | None  # None: not attempted (endpoint disabled meanwhile)

    @property
    def succeeded(self) -> bool:
        r = self.response
        return (
            r is not None
            and not r.error
            and r.status_code is not None
            and 200 <= r.status_code < 300
        )


class _Signers:
    """Each endpoint's signers for one batch: its secrets are decoded once per batch,
    not once per delivery."""

    def __init__(self) -> None:
        self._by_endpoint: dict[int, list[Webhook]] = {}

    def headers(self, delivery: Claimed, body: bytes, now: datetime) -> dict[str, str]:
        endpoint = delivery.endpoint
        signers = self._by_endpoint.get(endpoint.pk)
        if signers is None:
            signers = [Webhook(s) for s in signing_secrets(endpoint, now)]
            self._by_endpoint[endpoint.pk] = signers
        # Receivers compare the timestamp with their own wall clock, not the hub's.
        stamp = datetime.fromtimestamp(time.time(), tz=UTC)
        return signed_headers(delivery.message_id, body, signers, stamp)


def deliveries_deliver(*, deliveries: list[Claimed], poster: Poster) -> tuple[list[_Outcome], int]:
    """POSTs each claimed delivery and records every attempt. Stops early, handing the
    rest back, when the lease could run out before the next answer. Returns the
    outcomes and how many backlogged deliveries of recovered endpoints became due."""
    claimed_at = time.monotonic()
    window = settings.WEBHOOK_DELIVERY_LEASE_SECONDS - TIMEOUT_SECONDS - 5
    done: list[_Outcome] = []
    outcomes: list[_Outcome] = []
    released = 0
    flushed_at = time.monotonic()
    # Each host is resolved and checked (SSRF) once per batch, just before its first
    # POST; every connection goes to the address that was checked.
    poster.recheck()
    signers = _Signers()
    for index, delivery in enumerate(deliveries):
        if time.monotonic() - claimed_at > window:
            bulk.update(Delivery, [d.pk for d in deliveries[index:]], lease_until=None)
            break
        endpoint = delivery.endpoint
        now = hub_now()
        if not endpoint.enabled:
            outcomes.append(_Outcome(delivery, now, None))
            continue
        body = event_body(delivery.event, delivery.portal_public_id)
        headers = signers.headers(delivery, body, now)
        outcomes.append(_Outcome(delivery, now, poster.post(endpoint.url, body, headers)))
        if time.monotonic() - flushed_at > 1.0:
            released += _record(outcomes)
            done += outcomes
            outcomes, flushed_at = [], time.monotonic()
    released += _record(outcomes)
    return done + outcomes, released


_ATTEMPT = ("delivery_id", "attempted_at", "status_code", "response_body", "duration_ms", "error")
_STATE = ["status", "attempts", "next_attempt_at", "last_status_code", "last_error", "delivered_at"]
_state = attrgetter(*_STATE)


def _record(outcomes: list[_Outcome]) -> int:
    """Writes a run of attempts at once, in one transaction and a constant number of
    queries: their log rows (one INSERT), the deliveries' new state (one UPDATE per
    distinct state: one when all succeeded) with their lease ended, and the health of
    endpoints that failed or recovered."""
    if not outcomes:
        return 0
    now = hub_now()
    schedule = retry_schedule()
    released = 0
    attempts: list[tuple[Any, ...]] = []
    health: dict[int, list[bool]] = defaultdict(list)
    endpoints: dict[int, WebhookEndpoint] = {}
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    paused: list[int] = []
    for outcome in outcomes:
        d, r = outcome.delivery, outcome.response
        if r is None:
            d.next_attempt_at = None  # paused with its endpoint
            paused.append(d.pk)
            continue
        attempts.append((d.pk, outcome.attempted_at, r.status_code, r.body, r.duration_ms, r.error))
        d.attempts += 1
        d.last_status_code = r.status_code
        d.last_error = r.error or ("" if outcome.succeeded else f"HTTP {r.status_code}")
        if outcome.succeeded:
            d.status, d.next_attempt_at, d.delivered_at = Delivery.Status.SUCCEEDED, None, now
        elif d.attempts < len(schedule):
            d.next_attempt_at = now + schedule[d.attempts]
        else:
            d.status, d.next_attempt_at = Delivery.Status.FAILED, None
        health[d.endpoint_id].append(outcome.succeeded)
        endpoints[d.endpoint_id] = d.endpoint
        groups[_state(d)].append(d.pk)
    with transaction.atomic():
        bulk.insert(DeliveryAttempt, _ATTEMPT, attempts)
        # One UPDATE per distinct new state, much cheaper than bulk_update's CASE per
        # row and field.
        for values, ids in groups.items():
            bulk.update(Delivery, ids, lease_until=None, **dict(zip(_STATE, values, strict=True)))
        if paused:
            bulk.update(Delivery, paused, next_attempt_at=None, lease_until=None)
        for endpoint_id, results in health.items():
            if any(results):
                released += _endpoint_recovered(endpoints[endpoint_id], now)
            else:
                _endpoint_failed(endpoints[endpoint_id], now)
    return released


def _endpoint_recovered(endpoint: WebhookEndpoint, now: datetime) -> int:
    if endpoint.failing_since is None:
        return 0
    cleared = WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(
        failing_since=None
    )
    if cleared:
        # Its backlog goes out now rather than at each delivery's next retry time (those
        # due within a lease come soon anyway; those a worker holds stay leased to it).
        released = Delivery.objects.filter(
            endpoint_id=endpoint.pk, status=PENDING, next_attempt_at__gt=now + lease()
        ).update(next_attempt_at=now)
        if released:
            log.info("webhook endpoint %s recovered: %s deliveries sent now", endpoint.pk, released)
        return released
    return 0


def _endpoint_failed(endpoint: WebhookEndpoint, now: datetime) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    disabled = WebhookEndpoint.objects.filter(
        pk=endpoint.pk, enabled=True, failing_since__lte=now - DISABLE_AFTER
    ).update(
        enabled=False,
        disabled_reason="Disabled automatically: every delivery failed for 5 days.",
        updated_at=now,
    )
    if disabled:
        deliveries_pause(endpoint=endpoint)
        notify_portal(
            portal=endpoint.portal,
            template="webhook_endpoint_disabled",
            context={"endpoint": endpoint, "site_url": settings.SITE_URL},
            roles=[Role.SUPER_ADMIN],
        )
        log.warning("webhook endpoint %s disabled after 5 days of failures", endpoint.pk)


def deliveries_pause(*, endpoint: WebhookEndpoint) -> int:
    """A disabled endpoint's pending deliveries wait (not due) until it is enabled."""
    return Delivery.objects.filter(endpoint_id=endpoint.pk, status=PENDING).update(
        next_attempt_at=None
    )


@dataclass
class RunResult:
    attempts: int = 0
    # Seconds until the soonest retry it scheduled, when under a minute (the 5-second
    # step): the task schedules a run for it; the sweeper would find it anyway.
    retry_in: float | None = None
    # Backlogged deliveries of endpoints that recovered, due now: another run sends them.
    released: int = 0


def deliveries_run(*, seconds: float | None = None, batch: int | None = None) -> RunResult:
    """Delivers batch after batch until nothing is left to do (or `seconds` have
    passed). A batch is the due deliveries (retries, and what the sweeper fanned out),
    topped up with the deliveries of new events, fanned out and leased to this worker
    at once."""
    size = batch or settings.WEBHOOK_DELIVERY_BATCH_SIZE
    budget = settings.WEBHOOK_DELIVERY_RUN_SECONDS if seconds is None else seconds
    started = time.monotonic()
    poster = Poster()
    result = RunResult()
    # When a claim last came back with room to spare: nothing more was due then, so the
    # next batches are new events only, until DUE_RECHECK_SECONDS have passed (a claim
    # reads the index of due rows, in-flight and finished ones included until vacuum).
    due_checked_at: float | None = None
    try:
        while time.monotonic() - started < budget:
            claimed: list[Claimed] = []
            skipped = due_checked_at is not None and (
                time.monotonic() - due_checked_at < DUE_RECHECK_SECONDS
            )
            if not skipped:
                claimed = deliveries_claim(limit=size)
                due_checked_at = time.monotonic() if len(claimed) < size else None
            fanned = 0
            if len(claimed) < size:
                fanned, new = events_fan_out_claim(limit=size - len(claimed))
                claimed += new
            if not claimed and fanned:
                continue  # events no endpoint wanted: there may be more behind them
            if not claimed and skipped:
                claimed = deliveries_claim(limit=size)  # the due ones, before stopping
            if not claimed:
                break
            outcomes, released = deliveries_deliver(deliveries=claimed, poster=poster)
            result.released += released
            for o in outcomes:
                result.attempts += o.response is not None
                d = o.delivery
                if d.status == PENDING and d.next_attempt_at is not None and d.attempts:
                    wait = (d.next_attempt_at - hub_now()).total_seconds()
                    if wait < 60 and (result.retry_in is None or wait < result.retry_in):
                        result.retry_in = max(0.0, wait)
    finally:
        poster.close()
    return result


def event_deliver(*, event_id: int) -> RunResult:
    """After event `event_id` commits: a run, which fans it out and makes its first
    attempts together with whatever else is pending (under a burst, the first runs take
    the events in batches and the later ones find nothing left to do)."""
    return deliveries_run()


def events_sweep() -> dict[str, int]:
    """Beat: fans out events that were missed and counts the delivery runs to start for
    due deliveries (one per batch, up to WEBHOOK_SWEEP_MAX_TASKS): `tasks` in the
    answer. Reads pending work through the partial indexes only."""
    fanned = 0
    while True:
        n = events_fan_out(limit=500)
        fanned += n
        if n < 500:
            break
    size = settings.WEBHOOK_DELIVERY_BATCH_SIZE
    cap = settings.WEBHOOK_SWEEP_MAX_TASKS
    due = len(due_deliveries().values_list("pk", flat=True)[: size * cap])
    return {"fanned_out": fanned, "due": due, "tasks": math.ceil(due / size)}
