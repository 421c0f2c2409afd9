"""Celery tasks of invoices: thin and idempotent. Beat runs `sweep_invoices` every few
minutes; each invoice is handled by one service that re-checks it under a lock (past
due) or claims its reminder with a unique row, so overlapping runs are harmless."""

from __future__ import annotations

import logging

from celery import shared_task

from . import reminders

log = logging.getLogger(__name__)


@shared_task
def sweep_invoices() -> dict[str, int]:
    ids = list(reminders.invoices_to_sweep().values_list("id", flat=True))
    past_due = sum(reminders.invoice_mark_past_due(invoice_id=pk) for pk in ids)
    reminded = sum(reminders.invoice_send_reminder(invoice_id=pk) for pk in ids)
    if past_due or reminded:
        log.info("invoices: %s now past due, %s reminders sent", past_due, reminded)
    return {"past_due": past_due, "reminded": reminded}
