"""Delivery of events to webhook endpoints, following Standard Webhooks.

After an event commits, `deliver_event` (a task enqueued on commit) fans it out, one
`Delivery` per enabled endpoint of the portal that wants its type, and makes the first
attempt at once. A periodic sweeper (`events_sweep`, Celery beat) fans out whatever was
missed and enqueues workers for due deliveries: the database, not an in-memory
countdown, says what is due, so a killed worker, a broker restart or a deploy loses
nothing. Every step is idempotent:

- fan-out claims events not fanned out yet with SELECT … FOR UPDATE SKIP LOCKED, and a
  delivery is unique per event and endpoint (its `message_id`, the `webhook-id`
  header, is the same on every attempt);
- a worker claims due deliveries the same way and moves their `next_attempt_at` forward
  by a lease: one it dies holding is due again when the lease runs out.

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
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from standardwebhooks import Webhook

from commerce.clock import hub_now
from commerce.notifications import notify_portal
from commerce.portals.permissions import Role

from .catalogue import TEST_EVENT
from .models import Delivery, DeliveryAttempt, Event, WebhookEndpoint, new_message_id
from .network import TIMEOUT_SECONDS, Poster, Response

log = logging.getLogger(__name__)

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
    """The JSON body of every delivery of `event`: the same bytes on every attempt."""
    return json.dumps(
        {
            "id": event.public_id,
            "type": event.type,
            "created": int(event.created.timestamp()),
            "portal": str(portal_public_id),
            "data": {"object": event.data},
        },
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The current secret, and the previous one while its 24 hours of overlap last."""
    secrets = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        secrets.append(endpoint.previous_secret)
    return secrets


def signed_headers(
    *, message_id: str, body: bytes, secrets: list[str], timestamp: datetime
) -> dict[str, str]:
    # Several signatures, space-separated, let a receiver roll its secret (the spec).
    signature = " ".join(
        Webhook(secret).sign(msg_id=message_id, timestamp=timestamp, data=body)
        for secret in secrets
    )
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(math.floor(timestamp.timestamp())),
        "webhook-signature": signature,
        "User-Agent": USER_AGENT,
    }


# --- Fan-out ---------------------------------------------------------------------------


def events_fan_out(*, event_ids: list[int] | None = None, limit: int = 500) -> int:
    """Creates the deliveries of events not fanned out yet (or of `event_ids` only), one
    per enabled endpoint of the event's portal that wants its type. Claims the events
    with FOR UPDATE SKIP LOCKED, so concurrent calls share the work; idempotent.
    Returns how many events it fanned out."""
    now = hub_now()
    with transaction.atomic():
        pending = Event.objects.select_for_update(skip_locked=True).filter(
            fanned_out_at__isnull=True
        )
        if event_ids is not None:
            pending = pending.filter(pk__in=event_ids)
        events = list(pending.order_by("id").values_list("id", "portal_id", "type")[:limit])
        if not events:
            return 0
        endpoints: dict[int, list[tuple[int, list[str]]]] = defaultdict(list)
        for endpoint_id, portal_id, types in WebhookEndpoint.objects.filter(
            portal_id__in={portal_id for _, portal_id, _ in events}, enabled=True
        ).values_list("id", "portal_id", "event_types"):
            endpoints[portal_id].append((endpoint_id, types))
        _insert_deliveries(
            [
                (portal_id, event_id, endpoint_id)
                for event_id, portal_id, event_type in events
                if event_type != TEST_EVENT
                for endpoint_id, types in endpoints[portal_id]
                if not types or event_type in types
            ],
            now,
        )
        Event.objects.filter(pk__in=[e[0] for e in events]).update(fanned_out_at=now)
    return len(events)


def _insert_deliveries(rows: list[tuple[int, int, int]], now: datetime) -> None:
    """INSERT … ON CONFLICT DO NOTHING of (portal, event, endpoint) deliveries, due now,
    as plain rows: fan-out makes one per event and endpoint, and model instances would
    cost more than the insert. The unique (event, endpoint) makes a second fan-out a
    no-op, keeping the first `message_id`."""
    if not rows:
        return
    meta = Delivery._meta
    qn = connection.ops.quote_name
    columns = [
        "portal_id", "event_id", "endpoint_id", "message_id", "status", "attempts",
        "next_attempt_at", "last_error", "created_at",
    ]  # fmt: skip
    at = connection.ops.adapt_datetimefield_value(now)
    values = [(*row, new_message_id(), PENDING, 0, at, "", at) for row in rows]
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({qn('event_id')}, {qn('endpoint_id')}) DO NOTHING"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(values), 500):
            cursor.executemany(sql, values[start : start + 500])


# --- Claim and deliver -----------------------------------------------------------------


def due_deliveries() -> QuerySet[Delivery]:
    """Pending deliveries whose time has come: read through the partial index on pending
    rows, so delivered ones are never scanned."""
    return Delivery.objects.filter(status=PENDING, next_attempt_at__lte=hub_now())


@dataclass
class EventView:
    """What a delivery's body needs of its event."""

    public_id: str
    type: str
    created: datetime
    data: Any


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


def deliveries_claim(*, limit: int, event_id: int | None = None) -> list[Claimed]:
    """Claims up to `limit` due deliveries (FOR UPDATE SKIP LOCKED), moving each one's
    `next_attempt_at` forward by the lease, and returns them with what a POST needs
    (event, endpoint, portal) in two more queries."""
    now = hub_now()
    with transaction.atomic():
        due = due_deliveries().select_for_update(skip_locked=True)
        if event_id is not None:
            due = due.filter(event_id=event_id)
        ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        Delivery.objects.filter(pk__in=ids).update(next_attempt_at=now + lease())
    rows = list(
        Delivery.objects.filter(pk__in=ids)
        .order_by("id")
        .values_list(
            "id",
            "message_id",
            "attempts",
            "endpoint_id",
            "event__public_id",
            "event__type",
            "event__created",
            "event__data",
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
            next_attempt_at=now + lease(),
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
    for index, delivery in enumerate(deliveries):
        if time.monotonic() - claimed_at > window:
            Delivery.objects.filter(
                pk__in=[d.pk for d in deliveries[index:]], status=PENDING
            ).update(next_attempt_at=hub_now())
            break
        endpoint = delivery.endpoint
        now = hub_now()
        if not endpoint.enabled:
            outcomes.append(_Outcome(delivery, now, None))
            continue
        body = event_body(delivery.event, delivery.portal_public_id)
        # Receivers compare the timestamp with their own wall clock, not the hub's.
        stamp = datetime.fromtimestamp(time.time(), tz=UTC)
        headers = signed_headers(
            message_id=delivery.message_id,
            body=body,
            secrets=signing_secrets(endpoint, now),
            timestamp=stamp,
        )
        outcomes.append(_Outcome(delivery, now, poster.post(endpoint.url, body, headers)))
        if time.monotonic() - flushed_at > 1.0:
            released += _record(outcomes)
            done += outcomes
            outcomes, flushed_at = [], time.monotonic()
    released += _record(outcomes)
    return done + outcomes, released


def _record(outcomes: list[_Outcome]) -> int:
    """Writes a run of attempts at once (one transaction): their log rows, the
    deliveries' new state and the endpoints' health."""
    if not outcomes:
        return 0
    now = hub_now()
    schedule = retry_schedule()
    released = 0
    attempts: list[DeliveryAttempt] = []
    health: dict[int, list[bool]] = defaultdict(list)
    endpoints: dict[int, WebhookEndpoint] = {}
    for outcome in outcomes:
        d, r = outcome.delivery, outcome.response
        if r is None:
            d.next_attempt_at = None  # paused with its endpoint
            continue
        attempts.append(
            DeliveryAttempt(
                delivery_id=d.pk,
                attempted_at=outcome.attempted_at,
                status_code=r.status_code,
                response_body=r.body,
                duration_ms=r.duration_ms,
                error=r.error,
            )
        )
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
    fields = [
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
    ]
    with transaction.atomic():
        DeliveryAttempt.objects.bulk_create(attempts)
        # One UPDATE per distinct new state (most runs: one), much cheaper than
        # bulk_update's CASE per row and field.
        groups: dict[tuple, list[int]] = defaultdict(list)
        for o in outcomes:
            groups[tuple(getattr(o.delivery, f) for f in fields)].append(o.delivery.pk)
        for values, ids in groups.items():
            Delivery.objects.filter(pk__in=ids).update(**dict(zip(fields, values, strict=True)))
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
        # Its backlog goes out now rather than at each delivery's next retry time
        # (those within a lease may be in a worker's hands: they come soon anyway).
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


def deliveries_run(
    *, event_id: int | None = None, seconds: float | None = None, batch: int | None = None
) -> RunResult:
    """Claims and delivers batches until nothing is due (or `seconds` have passed)."""
    size = batch or settings.WEBHOOK_DELIVERY_BATCH_SIZE
    budget = settings.WEBHOOK_DELIVERY_RUN_SECONDS if seconds is None else seconds
    started = time.monotonic()
    poster = Poster()
    result = RunResult()
    try:
        while time.monotonic() - started < budget:
            claimed = deliveries_claim(limit=size, event_id=event_id)
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
    """After an event commits: fan it out and make its first attempts now."""
    events_fan_out(event_ids=[event_id])
    return deliveries_run(event_id=event_id)


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
