"""Celery tasks of the API: thin, one service call each."""

from __future__ import annotations

from celery import shared_task

from .idempotency import idempotency_purge


@shared_task
def purge_idempotency_records() -> int:
    """Forgets the stored responses of idempotent requests after their 24 hours."""
    return idempotency_purge()
