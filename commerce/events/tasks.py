"""Celery tasks of the event log: thin, idempotent, ids in, one service call each."""

from __future__ import annotations

from celery import shared_task

from . import delivery


def _follow_up(result: delivery.RunResult) -> int:
    if result.released:
        deliver_due.delay()
    if result.retry_in is not None:
        deliver_due.apply_async(countdown=result.retry_in)
    return result.attempts


@shared_task(acks_late=True)
def deliver_event(event_id: int) -> int:
    """Enqueued when an event commits: a run that fans it out and makes its first
    attempts, with whatever else is pending (a burst goes out in batches)."""
    return _follow_up(delivery.event_deliver(event_id=event_id))


@shared_task(acks_late=True)
def deliver_due() -> int:
    """Delivers due deliveries and new events, batch after batch, for up to a minute."""
    return _follow_up(delivery.deliveries_run())


@shared_task
def sweep_events() -> dict[str, int]:
    """Beat: fans out missed events and starts a run per batch of due deliveries."""
    result = delivery.events_sweep()
    for _ in range(result["tasks"]):
        deliver_due.delay()
    return result
