"""Celery tasks of subscription billing: thin and idempotent, on the `billing` queue.

`billing_run` (beat, every few minutes) lists due subscription ids and enqueues them in
batches; `billing_charge_batch` claims and charges a batch. Both are safe to run twice or
at the same time: the claim (SKIP LOCKED + lease) and the attempts' idempotency keys
make a duplicated task, an overlapping run or a redelivery after a crash charge nothing
twice. acks_late + reject_on_worker_lost (settings) redeliver a batch whose worker died;
the lease owner is the task id, so the redelivered task takes its claims back at once.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import billing, dunning

BILLING_QUEUE = "billing"


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def billing_run() -> int:
    """Enqueues every due subscription, `SUBSCRIPTION_BILLING_BATCH_SIZE` per task."""
    ids = billing.billing_due_ids()
    size = settings.SUBSCRIPTION_BILLING_BATCH_SIZE
    for start in range(0, len(ids), size):
        billing_charge_batch.apply_async(args=(ids[start : start + size],), queue=BILLING_QUEUE)
    return len(ids)


@shared_task(bind=True, acks_late=True, time_limit=300, soft_time_limit=240)
def billing_charge_batch(self, subscription_ids: list[int]) -> dict:
    result = billing.billing_charge_batch(
        subscription_ids=list(subscription_ids), owner=self.request.id or None
    )
    return {
        "claimed": result.claimed,
        "succeeded": result.succeeded,
        "failed": result.failed,
        "deferred": result.deferred,
    }


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def send_receipts(cycle_ids: list[int]) -> int:
    """E-mails the receipts of paid cycles (a redelivery may send one twice, never a charge)."""
    return dunning.send_receipts(cycle_ids=list(cycle_ids))
