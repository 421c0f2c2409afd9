"""Celery tasks of payments: thin, idempotent, taking ids and calling one service."""

from __future__ import annotations

import logging

from celery import shared_task

from payments import stripe as stripe_api
from payments.connect import services as accounts
from payments.fees import services as fees
from payments.models import StripeAccount
from payments.payouts import services as payouts
from payments.webhooks import services as webhooks

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def process_stripe_event(event_id: int) -> str:
    return webhooks.event_process(event_id=event_id)


@shared_task(acks_late=True)
def process_pending_stripe_events() -> int:
    return webhooks.events_process_pending()


@shared_task
def sweep_stripe_events() -> int:
    """Re-enqueues events that failed (after their backoff) or were never picked up."""
    ids = webhooks.events_due_for_retry()
    for event_id in ids:
        process_stripe_event.delay(event_id)
    return len(ids)


@shared_task
def reconcile_stripe_events() -> int:
    return webhooks.events_reconcile()


@shared_task
def refresh_pending_accounts() -> int:
    """Refreshes accounts that are not Ready to transact, in case webhooks were lost."""
    refreshed = 0
    for account_id in accounts.accounts_needing_refresh():
        account = StripeAccount.objects.filter(pk=account_id).first()
        if account is None:
            continue
        try:
            accounts.account_refresh(account=account)
            refreshed += 1
        except stripe_api.StripeServiceError as exc:
            log.warning("could not refresh %s: %s", account.stripe_id, exc)
    return refreshed


@shared_task(acks_late=True)
def disconnect_invalid_account(stripe_id: str) -> bool:
    """Stripe answered 403 account_invalid for this account: mark it Disconnected.
    Idempotent (the first disconnection time is kept)."""
    marked = accounts.account_mark_disconnected_by_stripe(
        stripe_id=stripe_id, reason=accounts.ACCOUNT_INVALID_REASON
    )
    return marked is not None


def account_invalid_heard(stripe_id: str) -> None:
    """The seam's account_invalid hook (PaymentsConfig.ready): enqueues the disconnection
    at once, not on commit, because the caller's transaction may roll back (a webhook
    handler failing afterwards) and the disconnection must stand all the same."""
    disconnect_invalid_account.delay(stripe_id)


# --- Fee sync ------------------------------------------------------------------------


@shared_task
def sync_fees_due() -> int:
    """Beat: enqueues a fee sync for each connected account with activity since its last
    sync (one query; idle accounts cost no Stripe call)."""
    ids = fees.accounts_due()
    for account_id in ids:
        sync_fees_for_account.delay(account_id)
    return len(ids)


@shared_task(acks_late=True)
def sync_fees_for_account(account_id: int) -> int:
    """Idempotent: a duplicate runs after (or is skipped while) the first holds the claim."""
    account = StripeAccount.objects.filter(pk=account_id).first()
    if account is None:
        return 0
    try:
        return fees.fees_sync_account(account=account).applied
    except stripe_api.StripeServiceError as exc:
        # Recorded on the FeeSyncState; the next beat retries from where it stopped.
        log.warning("fee sync of %s failed: %s", account.stripe_id, exc)
        return 0


# --- Payout sync -----------------------------------------------------------------------


@shared_task
def sync_payouts_due() -> int:
    """Beat: enqueues a payout sync for each connected account that may have payouts the
    hub has not seen (one query; idle accounts cost no Stripe call)."""
    ids = payouts.accounts_due()
    for account_id in ids:
        sync_payouts_for_account.delay(account_id)
    return len(ids)


@shared_task(acks_late=True)
def sync_payouts_for_account(account_id: int) -> int:
    """Idempotent: a duplicate is skipped while the first holds the claim, and re-reading
    a payout writes nothing new."""
    account = StripeAccount.objects.filter(pk=account_id).first()
    if account is None:
        return 0
    try:
        return payouts.payouts_sync_account(account=account).payouts
    except stripe_api.StripeServiceError as exc:
        # Recorded on the PayoutSyncState; the next beat retries.
        log.warning("payout sync of %s failed: %s", account.stripe_id, exc)
        return 0
