"""Recording events: the outbox of the hub.

Call `event_record` inside the transaction of the change it reports, after the change
is written:

    with transaction.atomic():
        contact.save()
        event_record(portal=contact.portal, type="contact.updated", obj=contact)

It adds exactly one INSERT to that transaction and nothing else: no event without its
change, no change without its event, whatever crashes. The object's snapshot comes from
the serializer its app registered in `AppConfig.ready()` with `register_snapshot`, so
this core module never imports the apps above it. Fan-out to webhook endpoints and
delivery happen after commit (commerce/events/delivery.py), enqueued here with
`transaction.on_commit` and caught up by the sweeper if that message is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import models, router, transaction

from commerce.clock import hub_now
from commerce.portals.models import Portal

from .catalogue import BY_NAME
from .models import Event
from .tasks import deliver_event, sweep_events

log = logging.getLogger(__name__)

Snapshot = Callable[[Any], dict[str, Any]]


class EventError(RuntimeError):
    """A programming error in how an event is recorded (unknown type, no transaction)."""


_snapshots: dict[type[models.Model], tuple[str, Snapshot]] = {}


def register_snapshot(model: type[models.Model], fn: Snapshot, *, object_type: str) -> None:
    """Called from an `AppConfig.ready()`: `fn(obj)` returns the JSON snapshot of an
    instance of `model` (what the API will expose: ids as strings, amounts in integer
    cents beside `currency`, times ISO 8601). It must not query the database: the
    change's transaction gets one INSERT from an event, nothing more."""
    registered = _snapshots.get(model)
    if registered is not None and registered != (object_type, fn):
        raise EventError(f"A snapshot of {model.__name__} is registered twice.")
    _snapshots[model] = (object_type, fn)


def snapshot(obj: models.Model) -> tuple[str, dict[str, Any]]:
    """(object type, JSON snapshot) of `obj` through its registered serializer."""
    try:
        object_type, fn = _snapshots[type(obj)]
    except KeyError:
        raise EventError(
            f"No snapshot is registered for {type(obj).__name__}: "
            "call register_snapshot in its app's ready()."
        ) from None
    return object_type, fn(obj)


def _event(
    *,
    portal: Portal | int,
    type: str,
    obj: models.Model | None,
    object_type: str,
    object_id: str,
    data: dict[str, Any] | None,
) -> Event:
    if type not in BY_NAME:
        raise EventError(f"Unknown event type {type!r}: add it to commerce/events/catalogue.py.")
    if obj is not None:
        object_type, snap = snapshot(obj)
        object_id = object_id or str(obj.pk)
        data = snap if data is None else data
    if not object_type or not object_id or data is None:
        raise EventError("An event needs obj=, or object_type=, object_id= and data=.")
    return Event(
        portal_id=portal if isinstance(portal, int) else portal.pk,
        type=type,
        object_type=object_type,
        object_id=str(object_id),
        created=hub_now(),
        data=data,
    )


def _require_transaction() -> None:
    connection = transaction.get_connection(router.db_for_write(Event))
    if not connection.in_atomic_block:
        raise EventError(
            "event_record runs inside the transaction of the change it reports "
            "(transaction.atomic)."
        )


def event_record(
    *,
    portal: Portal | int,
    type: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    data: dict[str, Any] | None = None,
) -> Event:
    """Records one event in the caller's transaction: one INSERT, delivered after commit.

    `portal` is the portal or its id. `type` must be in the catalogue. Pass the changed
    `obj` (its registered snapshot is the payload; `object_id` defaults to its pk), or
    `object_type`, `object_id` and `data` yourself. Raises EventError
    outside `transaction.atomic` or for an unknown type."""
    _require_transaction()
    event = _event(
        portal=portal,
        type=type,
        obj=obj,
        object_type=object_type,
        object_id=str(object_id),
        data=data,
    )
    event.save(force_insert=True)
    event_id = event.pk
    transaction.on_commit(lambda: _enqueue_delivery(event_id))
    return event


def event_record_many(
    *, portal: Portal | int | None, type: str, objs: Iterable[models.Model]
) -> int:
    """Records one event per object (a bulk change such as a CSV import) with one INSERT
    per 500 events, and one delivery run after commit. Returns how many. `portal=None`
    when the objects span portals (a billing batch): each one's own `portal_id`."""
    _require_transaction()
    events = [
        _event(
            portal=_portal_of(obj) if portal is None else portal,
            type=type,
            obj=obj,
            object_type="",
            object_id="",
            data=None,
        )
        for obj in objs
    ]
    if events:
        Event.objects.bulk_create(events, batch_size=500)
        transaction.on_commit(_enqueue_sweep)
    return len(events)


def _portal_of(obj: models.Model) -> int:
    portal_id = getattr(obj, "portal_id", None)
    if not isinstance(portal_id, int):
        raise EventError(f"{type(obj).__name__} has no portal_id: pass portal=.")
    return portal_id


def event_record_several(
    *, portal: Portal | int, events: Iterable[Mapping[str, Any]]
) -> list[Event]:
    """Records the events of one change that other systems hear about separately (a
    checkout completed and its payment succeeded) with ONE INSERT, in this order. Each
    mapping takes `event_record`'s keywords: `type`, and `obj` or `object_type`,
    `object_id` and `data` (`data` with `obj` replaces its snapshot). Each event is
    delivered after commit, as `event_record`'s is."""
    _require_transaction()
    rows = [
        _event(
            portal=portal,
            type=e["type"],
            obj=e.get("obj"),
            object_type=e.get("object_type", ""),
            object_id=str(e.get("object_id", "")),
            data=e.get("data"),
        )
        for e in events
    ]
    if not rows:
        return rows
    Event.objects.bulk_create(rows)
    ids = [row.pk for row in rows]
    if all(ids):
        transaction.on_commit(lambda: _enqueue_deliveries(ids))
    else:  # a backend that returns no ids from a bulk INSERT: the sweeper fans them out
        transaction.on_commit(_enqueue_sweep)
    return rows


def _enqueue_deliveries(event_ids: list[int]) -> None:
    for event_id in event_ids:
        _enqueue_delivery(event_id)


def _enqueue_delivery(event_id: int) -> None:
    try:
        deliver_event.delay(event_id)
    except Exception:
        # A broker that is down must not break the request that made the change: the
        # sweeper fans out and delivers every event that was not.
        log.exception("delivery of event %s not enqueued; the sweeper will catch up", event_id)


def _enqueue_sweep() -> None:
    try:
        sweep_events.delay()
    except Exception:
        log.exception("event sweep not enqueued; beat will run it")
