"""Fee sync: Stripe's fees and nets, copied from balance transactions onto payments.

Stripe knows a charge's fee only on its balance transaction, which often does not exist
yet when the charge succeeds (STRIPE.md). So a Celery job (payments/tasks.py) lists each
connected account's balance transactions, 100 per page, newest first, from a stored
cursor, and matches them to the hub's rows of the same account by `source`:

- a charge's transaction (`charge`/`payment`) gives the payment's gross, fee, fee
  details, net and available-on date;
- a refund's (`refund`/`payment_refund`) gives the Refund's amounts;
- a dispute's (`adjustment` whose source is the payment's dispute) is kept per balance
  transaction in `Payment.dispute_adjustments` (the withdrawal, its $15 fee, a reversal).

The payment's `fee` and `net` are then derived: fee = charge fee + refund fees + dispute
fees; net = charge net + refund nets + dispute nets. Until the charge's transaction is
seen both stay empty, which the pages show as "Pending", never as zero.

Crash safety: every page is applied and the place in the run (`resume_after`) saved in
one transaction, so a crash resumes after the last page applied. Re-applying a page
writes nothing (rows are only written when a value changes), so runs are idempotent.
Late arrivals: the next run starts `OVERLAP_SECONDS` before the newest transaction seen.
Idle accounts cost nothing: `accounts_due` picks accounts with activity in one query.
Request budget: every Stripe request of the sync (and of repair) first waits for the
fee sync's budget in the seam's rate limiter (`STRIPE_BUDGET`, per worker process, at
`settings.FEE_SYNC_REQUESTS_PER_SECOND`).
Health (payments waiting, mismatches) and repair live in payments/fee_checks.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, Model, OuterRef, Q, Sum

from commerce.clock import hub_now
from payments import stripe as stripe_api
from payments.models import FeeSyncState, Payment, Refund, StripeAccount

log = logging.getLogger(__name__)

PAGE_SIZE = 100
# A balance transaction can become listable a little after its `created` second; the
# next run re-reads this much before the newest one seen (re-applying is a no-op).
OVERLAP_SECONDS = 10 * 60
# A run that has held the claim this long is presumed dead (worker killed).
STALE_RUN = timedelta(minutes=30)
# Payments recently paid whose fee is still unknown keep their account "active".
WAITING_WINDOW = timedelta(days=7)

PAID_STATUSES = (
    Payment.Status.SUCCEEDED,
    Payment.Status.PARTIALLY_REFUNDED,
    Payment.Status.REFUNDED,
    Payment.Status.DISPUTED,
)
CHARGE_TYPES = frozenset({"charge", "payment"})
REFUND_TYPES = frozenset({"refund", "payment_refund"})
DISPUTE_TYPES = frozenset({"adjustment", "dispute", "dispute_reversal"})


# --- The Stripe request budget ---------------------------------------------------------

# Stripe limits requests per account and per platform (docs.stripe.com/rate-limits:
# 100/s live, 25/s test) and asks background jobs to keep to a share of it. Every
# request of the sync (and of repair) first waits for this budget: FEE_SYNC_REQUESTS_PER_SECOND
# (default 20, 0 for none) per worker process, a second's budget at once at most (a
# burst of the same size); set it so that the sum over the workers stays under Stripe's
# limit. The seam still retries a 429.
STRIPE_BUDGET = stripe_api.RequestBudget(
    name="fee-sync", setting="FEE_SYNC_REQUESTS_PER_SECOND", shared=False, spread=False
)


def take_request() -> None:
    """Waits until the budget allows one more Stripe request of the fee sync."""
    STRIPE_BUDGET.wait()


# --- Results -----------------------------------------------------------------------


@dataclass
class SyncResult:
    skipped: bool = False
    pages: int = 0
    seen: int = 0
    applied: int = 0


# --- Activity (no Stripe call) ----------------------------------------------------------


def fee_sync_state(*, account: StripeAccount) -> FeeSyncState:
    state, _ = FeeSyncState.objects.get_or_create(account=account)
    return state


def accounts_due(*, now: datetime | None = None) -> list[int]:
    """Ids of connected accounts with activity since their last successful sync: a
    payment or refund written since that run started, or a recent payment whose fee is
    still unknown. One query; an idle account is not listed and costs no Stripe call."""
    now = now or hub_now()
    since = OuterRef("fee_sync__synced_from")
    account_payments = Payment.objects.filter(
        portal=OuterRef("portal"), stripe_account_id=OuterRef("stripe_id")
    )
    changed_payment = account_payments.filter(updated_at__gte=since)
    changed_refund = Refund.objects.filter(
        portal=OuterRef("portal"),
        payment__stripe_account_id=OuterRef("stripe_id"),
        updated_at__gte=since,
    )
    waiting = account_payments.filter(
        status__in=PAID_STATUSES,
        fee__isnull=True,
        paid_at__gte=now - WAITING_WINDOW,
    ).exclude(charge_id="")
    never_synced = Q(fee_sync__synced_from__isnull=True) & Exists(account_payments)
    return list(
        StripeAccount.objects.filter(revoked=False)
        .filter(never_synced | Exists(changed_payment) | Exists(changed_refund) | Exists(waiting))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- The sync ----------------------------------------------------------------------


def fees_sync_account(
    *,
    account: StripeAccount,
    since: datetime | None = None,
    on_page: Callable[[int, int], None] | None = None,
) -> SyncResult:
    """Syncs one account's balance transactions into its payments and refunds.

    Claims the account's FeeSyncState with a conditional UPDATE (a concurrent run gets
    `skipped`), then pages from the stored cursor, or from `since` (backfill), resuming
    after `resume_after` if the last run died. Each page is applied in one transaction
    together with the run's position. Stripe errors propagate after being recorded on
    the state; the claim is released either way. `on_page(transactions, applied)` is
    called after each page (progress bars).
    """
    state = fee_sync_state(account=account)
    now = hub_now()
    claimed = (
        FeeSyncState.objects.filter(pk=state.pk)
        .filter(Q(running_since__isnull=True) | Q(running_since__lt=now - STALE_RUN))
        .update(running_since=now)
    )
    if not claimed:
        return SyncResult(skipped=True)
    state.refresh_from_db()
    if since is not None:
        state.cursor = int(since.timestamp())
        state.resume_after = ""
    if not state.resume_after:
        # A fresh run (not the resumption of one that died).
        state.run_started_at = now
        state.run_newest = None
        state.save(update_fields=["cursor", "resume_after", "run_started_at", "run_newest"])
    result = SyncResult()

    def fetch(starting_after: str | None) -> dict:
        take_request()
        return stripe_api.balance_transactions_list(
            account=account.stripe_id,
            created_gte=state.cursor,
            starting_after=starting_after,
            limit=PAGE_SIZE,
        )

    try:
        # The next page is requested while this one is written (one page ahead, no
        # database access in the fetching thread); the run's position is only saved
        # once a page is applied, so a prefetched page lost in a crash is re-read.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fee-sync") as pool:
            pending: Future | None = pool.submit(fetch, state.resume_after or None)
            while pending is not None:
                page = pending.result()
                transactions = page["data"]
                pending = None
                if page["has_more"] and transactions:
                    pending = pool.submit(fetch, transactions[-1]["id"])
                with transaction.atomic():
                    applied = apply_balance_transactions(account=account, transactions=transactions)
                    if transactions:
                        newest = max(bt["created"] for bt in transactions)
                        state.run_newest = max(newest, state.run_newest or newest)
                        state.resume_after = transactions[-1]["id"]
                        state.save(update_fields=["run_newest", "resume_after"])
                result.pages += 1
                result.seen += len(transactions)
                result.applied += applied
                if on_page:
                    on_page(len(transactions), applied)
    except Exception as exc:
        FeeSyncState.objects.filter(pk=state.pk).update(
            running_since=None, last_error=str(exc)[:500], last_error_at=hub_now()
        )
        raise
    cursor = state.cursor
    if state.run_newest is not None:
        cursor = max(cursor or 0, state.run_newest - OVERLAP_SECONDS)
    FeeSyncState.objects.filter(pk=state.pk).update(
        cursor=cursor,
        resume_after="",
        run_newest=None,
        running_since=None,
        synced_from=state.run_started_at,
        last_success_at=hub_now(),
        last_error="",
        pages=result.pages,
        applied=result.applied,
    )
    log.info(
        "fee sync %s: %d pages, %d transactions, %d applied",
        account.stripe_id,
        result.pages,
        result.seen,
        result.applied,
    )
    return result


def apply_balance_transactions(*, account: StripeAccount, transactions: Iterable[dict]) -> int:
    """Writes what the balance transactions say onto the account's payments and refunds.

    Only rows of this account and its portal are matched (a source id of another account
    is ignored). Returns how many rows changed; re-applying the same transactions
    changes nothing. A page costs a fixed handful of queries: refunds are written first,
    then the payments concerned are read once, derived and written with one
    parameterised UPDATE each (`executemany`). Call inside a transaction.
    """
    charges: dict[str, dict] = {}
    refunds: dict[str, dict] = {}
    disputes: dict[str, list[dict]] = {}
    for bt in transactions:
        source = bt.get("source")
        if isinstance(source, dict):
            source = source.get("id")
        if not source:
            continue
        kind = bt.get("type")
        if kind in CHARGE_TYPES:
            charges[source] = bt
        elif kind in REFUND_TYPES:
            refunds[source] = bt
        elif kind in DISPUTE_TYPES and str(source).startswith(("du_", "dp_")):
            disputes.setdefault(source, []).append(bt)
    if not (charges or refunds or disputes):
        return 0

    changed = 0
    refund_payment_ids: set[int] = set()
    if refunds:
        dirty_refunds = []
        for refund in Refund.objects.filter(
            portal=account.portal,
            payment__stripe_account_id=account.stripe_id,
            stripe_id__in=refunds,
        ).only("pk", "payment_id", "stripe_id", *_REFUND_FIELDS):
            bt = refunds[refund.stripe_id or ""]
            values = {
                "balance_transaction_id": bt["id"],
                "balance_amount": bt["amount"],
                "balance_fee": bt["fee"],
                "balance_net": bt["net"],
            }
            if assign_changes(refund, values):
                dirty_refunds.append(refund)
                refund_payment_ids.add(refund.payment_id)
        _write(Refund, dirty_refunds, _REFUND_FIELDS)
        changed += len(dirty_refunds)

    match = Q()
    if charges:
        match |= Q(charge_id__in=charges)
    if disputes:
        match |= Q(dispute_id__in=disputes)
    if refund_payment_ids:
        match |= Q(pk__in=refund_payment_ids)
    if not match:
        return changed
    # The rows are found by their Stripe ids (indexed) and then kept only if they belong
    # to this account and its portal: filtering by portal in SQL makes SQLite walk the
    # portal's index, i.e. every payment of the portal, for each page.
    payments = [
        payment
        for payment in Payment.objects.filter(match)
        .order_by()
        .only("pk", "portal_id", "stripe_account_id", "charge_id", "dispute_id", *_PAYMENT_FIELDS)
        if payment.portal_id == account.portal_id and payment.stripe_account_id == account.stripe_id
    ]
    sums: dict[int, Any] = {
        row["payment_id"]: row
        for row in Refund.objects.filter(payment_id__in=[p.pk for p in payments])
        .values("payment_id")
        .annotate(amount=Sum("balance_amount"), fee=Sum("balance_fee"), net=Sum("balance_net"))
        .order_by()
    }
    now = hub_now()
    dirty = []
    for payment in payments:
        charge_bt = charges.get(payment.charge_id)
        parts: dict = {}
        if charge_bt is not None:
            parts = {
                "balance_transaction_id": charge_bt["id"],
                "charge_gross": charge_bt["amount"],
                "charge_fee": charge_bt["fee"],
                "charge_net": charge_bt["net"],
                "available_on": _from_unix(charge_bt.get("available_on")),
            }
        if payment.dispute_id in disputes:
            adjustments = dict(payment.dispute_adjustments or {})
            for dispute_bt in disputes[payment.dispute_id]:
                adjustments[dispute_bt["id"]] = {
                    "amount": dispute_bt["amount"],
                    "fee": dispute_bt["fee"],
                    "net": dispute_bt["net"],
                    "fee_details": dispute_bt.get("fee_details") or [],
                }
            parts["dispute_adjustments"] = adjustments
        parts_changed = assign_changes(payment, parts)
        refund_sums: dict = sums.get(payment.pk, {})
        derived = derive_amounts(
            payment,
            refunds_amount=refund_sums.get("amount"),
            refunds_fee=refund_sums.get("fee"),
            refunds_net=refund_sums.get("net"),
            charge_fee_details=charge_bt.get("fee_details") if charge_bt is not None else None,
        )
        if assign_changes(payment, derived) or parts_changed:
            payment.fees_synced_at = now
            dirty.append(payment)
    _write(Payment, dirty, _PAYMENT_FIELDS)
    return changed + len(dirty)


_REFUND_FIELDS = ("balance_transaction_id", "balance_amount", "balance_fee", "balance_net")
_PAYMENT_FIELDS = (
    "balance_transaction_id",
    "charge_gross",
    "charge_fee",
    "charge_net",
    "available_on",
    "dispute_adjustments",
    "fee",
    "net",
    "fee_details",
    "stripe_refunded",
    "fees_synced_at",
)


def _write(model: type[Model], rows: list, fields: tuple[str, ...]) -> None:
    """One parameterised UPDATE per row, sent with `executemany`: Django's bulk_update
    builds a CASE per field and row, which costs more than the sync's Stripe calls."""
    if not rows:
        return
    connection = transaction.get_connection()  # the real one, not the per-access proxy
    meta = model._meta
    columns: list[Any] = [meta.get_field(name) for name in fields]
    # Identifiers come from the model's own metadata, quoted; values are parameters.
    sql = "UPDATE {table} SET {sets} WHERE {pk} = %s".format(  # noqa: S608
        table=connection.ops.quote_name(meta.db_table),
        sets=", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in columns),
        pk=connection.ops.quote_name(meta.pk.column),  # type: ignore[union-attr,unused-ignore]
    )
    params = [
        [f.get_db_prep_save(getattr(row, f.attname), connection) for f in columns] + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def derive_amounts(
    payment: Payment,
    *,
    refunds_amount: int | None,
    refunds_fee: int | None,
    refunds_net: int | None,
    charge_fee_details: list | None = None,
) -> dict:
    if payment.charge_net is None or payment.charge_fee is None:
        return {"fee": None, "net": None}
    adjustments = (payment.dispute_adjustments or {}).values()
    details = charge_fee_details
    if details is None:
        details = [d for d in (payment.fee_details or []) if d.get("source") != "dispute"]
    for adjustment in adjustments:
        details = details + [
            {**d, "source": "dispute"} for d in adjustment.get("fee_details") or []
        ]
    return {
        "fee": payment.charge_fee + (refunds_fee or 0) + sum(a["fee"] for a in adjustments),
        "net": payment.charge_net + (refunds_net or 0) + sum(a["net"] for a in adjustments),
        "fee_details": details,
        "stripe_refunded": -(refunds_amount or 0),
    }


def assign_changes(obj: object, values: dict) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _from_unix(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None
