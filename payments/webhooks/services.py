"""The webhook pipeline: verify, store, enqueue; then process through one registry.

Receive (the HTTP endpoint) does the least it can: check the signature, store the raw
event under its unique Stripe id (a duplicate delivery is a no-op), and enqueue
processing after commit. Processing claims the row, runs the one handler registered
for the event type inside a savepoint, and records the outcome. A sweeper retries what
failed or was never enqueued; a daily reconcile lists recent events from Stripe to
catch deliveries that never arrived (docs.stripe.com/webhooks: order is not
guaranteed, duplicates happen, events are listable for 30 days).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from commerce.clock import hub_now
from payments import stripe as stripe_api
from payments.models import StripeAccount, StripeEvent
from payments.webhooks.checks import event_problem

log = logging.getLogger(__name__)

Handler = Callable[[StripeEvent], None]
HANDLERS: dict[str, Handler] = {}


class InvalidEvent(Exception):
    """A correctly signed event the hub cannot store (`checks.event_problem` says why)."""


def handles(*event_types: str) -> Callable[[Handler], Handler]:
    """Registers an idempotent handler: it may run more than once for the same event."""

    def register(fn: Handler) -> Handler:
        for event_type in event_types:
            if event_type in HANDLERS:
                raise RuntimeError(f"two handlers for {event_type}")
            HANDLERS[event_type] = fn
        return fn

    return register


# --- Receive -------------------------------------------------------------------------


def event_receive(*, payload: bytes, signature: str | None) -> tuple[int | None, bool]:
    """Verifies and stores a delivery. Raises stripe_api.SignatureError when it can't be
    trusted and InvalidEvent when it can't be stored (nothing is stored either way).
    Returns (event id, created); a duplicate is (None, False)."""
    data = stripe_api.webhook_verify(payload, signature, settings.STRIPE_WEBHOOK_SECRETS)
    return event_store(data=data, source=StripeEvent.Source.WEBHOOK)


def event_store(*, data: dict, source: str) -> tuple[int | None, bool]:
    """Stores the raw event; its unique id makes a second delivery a no-op.
    Returns (event id, created); a duplicate is (None, False). Raises InvalidEvent, and
    stores nothing, when the event does not fit its columns or JSON storage.

    The webhook endpoint's hot path is this one statement, INSERT … ON CONFLICT
    (stripe_id) DO NOTHING RETURNING id (PostgreSQL, and SQLite >= 3.35): no savepoint,
    no exception for a duplicate, and about a third of the CPU of Model.save()
    (bench/webhooks.py). Columns and values come from the model's own fields, so they
    cannot drift from the schema. The portal is resolved when the event is processed.
    """
    problem = event_problem(data)
    if problem is not None:
        raise InvalidEvent(problem)
    event = StripeEvent(
        stripe_id=data["id"],
        type=data["type"],
        account=data.get("account") or "",
        livemode=bool(data.get("livemode")),
        api_version=data.get("api_version") or "",
        created=datetime.fromtimestamp(data["created"], tz=UTC),
        payload=data,
        source=source,
    )
    event_id = _insert_unless_known(event)
    if event_id is None:
        return None, False
    transaction.on_commit(enqueue_pending_run)
    return event_id, True


def _column(field: Any) -> str:
    column: str | None = field.column
    if column is None:  # concrete fields always have one
        raise ValueError(f"{field} has no column")
    return column


def _insert_unless_known(event: StripeEvent) -> int | None:
    meta = StripeEvent._meta
    qn = connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    columns = ", ".join(qn(_column(f)) for f in fields)
    params = [f.get_db_prep_save(f.pre_save(event, True), connection) for f in fields]
    # Identifiers come from the model's metadata, values are bound parameters.
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({qn(_column(meta.get_field('stripe_id')))}) DO NOTHING "
        f"RETURNING {qn(_column(meta.pk))}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


class RunDebouncer:
    """Queues the pending-events run at most twice per window, per process.

    The first commit of a window queues a run at once (leading edge); later commits in
    the same window queue one more run for the window's end (trailing edge). Every
    committed event is therefore covered by a run that starts after its commit, and a
    burst of deliveries costs two Celery messages, not one each. The sweeper is the
    safety net if a message is lost.
    """

    def __init__(
        self, publish: Callable[[float], None], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._publish = publish
        self._clock = clock
        self._lock = threading.Lock()
        self._window_ends = float("-inf")
        self._trailing_queued = False

    def __call__(self) -> None:
        window = settings.STRIPE_EVENT_ENQUEUE_WINDOW_SECONDS
        with self._lock:
            now = self._clock()
            if now >= self._window_ends:
                self._window_ends = now + window
                self._trailing_queued = False
                delay = 0.0
            elif not self._trailing_queued:
                self._trailing_queued = True
                delay = self._window_ends - now
            else:
                return
        self._publish(delay)


def _publish_pending_run(delay: float) -> None:
    from payments.tasks import process_pending_stripe_events

    if delay > 0:
        process_pending_stripe_events.apply_async(countdown=delay)
    else:
        process_pending_stripe_events.delay()


enqueue_pending_run = RunDebouncer(_publish_pending_run)


def events_process_pending(*, limit: int = 500) -> int:
    """Processes events never attempted, oldest first. Returns how many were processed."""
    ids = list(
        StripeEvent.objects.filter(processed_at__isnull=True, attempts=0)
        .order_by("received_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    done = sum(event_process(event_id=event_id) == "processed" for event_id in ids)
    if len(ids) == limit:
        enqueue_pending_run()
    return done


# --- Process -------------------------------------------------------------------------


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def event_process(*, event_id: int) -> str:
    """Applies one stored event once. Safe to call twice or concurrently: the row is
    claimed with SELECT … FOR UPDATE SKIP LOCKED and processed events are skipped.
    Returns what happened, for logs and tests."""
    _load_handlers()
    with transaction.atomic():
        event = (
            StripeEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id, processed_at__isnull=True)
            .first()
        )
        if event is None:
            return "skipped"
        now = hub_now()
        event.attempts += 1
        if event.account and event.portal_id is None:
            event.portal_id = (
                StripeAccount.objects.filter(stripe_id=event.account)
                .values_list("portal_id", flat=True)
                .first()
            )
        handler = HANDLERS.get(event.type)
        if event.livemode != stripe_api.is_live():
            event.note = "Ignored: live/test mode does not match this hub's keys"
        elif handler is None:
            event.note = "No handler for this event type"
        else:
            try:
                with transaction.atomic():
                    handler(event)
            except Exception as exc:
                event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                event.next_attempt_at = now + _retry_delay(event.attempts)
                event.save(update_fields=["attempts", "portal", "last_error", "next_attempt_at"])
                log.warning(
                    "stripe event %s (%s) failed: %s", event.stripe_id, event.type, event.last_error
                )
                return "failed"
            event.note = ""
        event.processed_at = now
        event.last_error = ""
        event.next_attempt_at = None
        event.save(
            update_fields=[
                "attempts",
                "portal",
                "processed_at",
                "last_error",
                "next_attempt_at",
                "note",
            ]
        )
    return "processed"


def event_retry(*, event: StripeEvent) -> None:
    """An operator's *Retry*: process again now, even after the last automatic attempt."""
    from payments.tasks import process_stripe_event

    StripeEvent.objects.filter(pk=event.pk, processed_at__isnull=True).update(
        next_attempt_at=hub_now()
    )
    transaction.on_commit(lambda: process_stripe_event.delay(event.pk))


def events_due_for_retry(*, limit: int = 500) -> list[int]:
    """Unprocessed events whose retry time has come, plus any never picked up (e.g. the
    enqueue was lost in a crash) a minute after they arrived."""
    now = hub_now()
    pending = StripeEvent.objects.filter(
        processed_at__isnull=True, attempts__lt=settings.STRIPE_EVENT_MAX_ATTEMPTS
    )
    retry = pending.filter(next_attempt_at__lte=now)
    never = pending.filter(
        attempts=0, next_attempt_at__isnull=True, received_at__lte=now - timedelta(minutes=1)
    )
    return list((retry | never).order_by("received_at").values_list("pk", flat=True)[:limit])


def events_reconcile(*, since: timedelta = timedelta(days=3)) -> int:
    """Lists recent events from Stripe, for the platform and every connected account,
    and stores any we never received. Returns how many were missing."""
    created_gte = int((hub_now() - since).timestamp())
    accounts: list[str | None] = [None]
    accounts += list(
        StripeAccount.objects.filter(revoked=False).values_list("stripe_id", flat=True)
    )
    missing = 0
    for account in accounts:
        try:
            batch: list[dict] = []
            for data in stripe_api.events_list(account=account, created_gte=created_gte):
                batch.append(data)
                if len(batch) == 100:
                    missing += _store_missing(batch, account)
                    batch = []
            missing += _store_missing(batch, account)
        except stripe_api.AccountInvalid:
            continue
    return missing


def _store_missing(batch: list[dict], account: str | None) -> int:
    if not batch:
        return 0
    ids = [e["id"] for e in batch if isinstance(e, dict) and isinstance(e.get("id"), str)]
    known = set(StripeEvent.objects.filter(stripe_id__in=ids).values_list("stripe_id", flat=True))
    stored = 0
    for data in batch:
        if isinstance(data, dict) and isinstance(data.get("id"), str) and data["id"] in known:
            continue
        if account and isinstance(data, dict):
            data.setdefault("account", account)
        try:
            _event, created = event_store(data=data, source=StripeEvent.Source.RECONCILE)
        except InvalidEvent as exc:
            log.warning("stripe event from the event list not stored: %s", exc)
            continue
        stored += int(created)
    return stored


def _load_handlers() -> None:
    # Handlers live next to the feature they serve and register on import.
    from payments.webhooks import handlers  # noqa: F401
