"""Celery tasks of quotes: thin and idempotent. Beat runs `sweep_quotes` every few
minutes; each quote is handled by one service that re-checks it under a lock (expiry)
or claims it with a conditional UPDATE (reminder), so overlapping runs are harmless."""

from __future__ import annotations

import logging

from celery import shared_task

from . import selectors, services

log = logging.getLogger(__name__)


@shared_task
def sweep_quotes() -> dict[str, int]:
    expired = sum(services.quote_expire(quote=quote) for quote in selectors.quotes_due_for_expiry())
    reminded = sum(
        services.quote_remind_expiry(quote_id=quote_id)
        for quote_id in selectors.quotes_due_for_reminder().values_list("id", flat=True)
    )
    if expired or reminded:
        log.info("quotes: %s expired, %s expiry reminders sent", expired, reminded)
    return {"expired": expired, "reminded": reminded}
