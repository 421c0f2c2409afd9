"""Payout sync: the connected account's payouts and, for each paid payout, the balance
transactions it paid out, tied to the hub's payments, refunds and disputes.

A run (beat task, backfill command) lists the account's payouts, 100 per page, newest
first, from a stored cursor (`created >= cursor`), and upserts them. Each paid payout
whose lines are not read yet then costs one request per 100 of its balance transactions
(`GET /v1/balance_transactions?payout=po_…`). Webhooks (`payout.*`) re-fetch one payout
and do the same, so the pages are current within seconds and the run is the safety net.

Where the cursor goes: the oldest payout that is not final yet (pending, in transit) is
listed again next time, so its status change is seen; once every payout is final, the
newest one's `created` minus a small overlap.

Idle accounts cost nothing: `accounts_due` finds, in one query, the accounts that can
have a payout the hub has not seen: never synced (and with payments), a payout not final
or not itemised yet, or money movement (a payment paid, a refund, a dispute written)
since `PAYOUT_WINDOW` before the last successful run started (`active_from`): Stripe pays a payment out two
business days after it is available (docs.stripe.com/payouts#standard-payout-timing),
so after a week without activity there is nothing left to pay out and no call is made.

Request budget: every Stripe request waits for the fee sync's budget
(payments/fees/services.py `STRIPE_BUDGET`): the two syncs share one limiter.
Crash safety: a payout's lines are written in one transaction with `lines_synced_at`;
re-running rewrites nothing that did not change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from commerce import money
from commerce.clock import hub_now
from commerce.notifications import notify_portal
from commerce.portals.permissions import Role
from payments import stripe as stripe_api
from payments.fees.services import CHARGE_TYPES, REFUND_TYPES, take_request
from payments.models import Payment, Refund, StripeAccount
from payments.payouts.models import FINAL_STATUSES, Payout, PayoutLine, PayoutSyncState

log = logging.getLogger(__name__)

PAGE_SIZE = 100
OVERLAP_SECONDS = 10 * 60
STALE_RUN = timedelta(minutes=30)
PAYOUT_WINDOW = timedelta(days=7)
# Balance transaction types (docs.stripe.com/reports/balance-transaction-types).
DISPUTE_TYPES = frozenset({"adjustment", "dispute", "dispute_reversal"})
FEE_TYPES = frozenset({"stripe_fee", "tax_fee", "application_fee", "stripe_fx_fee"})
OWN_TYPES = frozenset({"payout"})
LINES_FOR = frozenset({Payout.Status.PAID})


@dataclass
class PayoutSyncResult:
    skipped: bool = False
    payouts: int = 0
    listing_calls: int = 0
    line_calls: int = 0
    lines: int = 0
    failed: list[str] = field(default_factory=list)


# --- Activity (no Stripe call) ---------------------------------------------------------


def accounts_due(*, now: datetime | None = None) -> list[int]:
    """Ids of connected accounts that may have payouts the hub has not seen (see the
    module's docstring). One query; an idle account is not listed."""
    now = now or hub_now()
    since = OuterRef("payout_sync__active_from")
    payments = Payment.objects.filter(
        portal=OuterRef("portal"), stripe_account_id=OuterRef("stripe_id")
    )
    moved = payments.filter(updated_at__gte=since)
    refunded = Refund.objects.filter(
        portal=OuterRef("portal"),
        payment__stripe_account_id=OuterRef("stripe_id"),
        updated_at__gte=since,
    )
    open_payouts = Payout.objects.filter(account=OuterRef("pk")).filter(
        ~Q(status__in=FINAL_STATUSES) | Q(status__in=LINES_FOR, lines_synced_at__isnull=True)
    )
    never_synced = Q(payout_sync__active_from__isnull=True) & Exists(payments)
    return list(
        StripeAccount.objects.filter(revoked=False)
        .filter(never_synced | Exists(moved) | Exists(refunded) | Exists(open_payouts))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def payout_sync_state(*, account: StripeAccount) -> PayoutSyncState:
    state, _ = PayoutSyncState.objects.get_or_create(account=account)
    return state


# --- The sync ----------------------------------------------------------------------


def payouts_sync_account(
    *,
    account: StripeAccount,
    since: datetime | None = None,
    on_payout: Callable[[Payout], None] | None = None,
) -> PayoutSyncResult:
    """Syncs one account's payouts and the lines of its paid payouts.

    Claims the account's PayoutSyncState with a conditional UPDATE (a concurrent run is
    `skipped`), lists payouts from the cursor (or `since`, backfill), upserts each page
    in one transaction, then reads the lines of every paid payout not itemised yet
    (oldest first, one transaction each). Stripe errors propagate after being recorded
    on the state. `on_payout(payout)` is called after each payout is up to date.
    """
    state = payout_sync_state(account=account)
    now = hub_now()
    claimed = (
        PayoutSyncState.objects.filter(pk=state.pk)
        .filter(Q(running_since__isnull=True) | Q(running_since__lt=now - STALE_RUN))
        .update(running_since=now)
    )
    if not claimed:
        return PayoutSyncResult(skipped=True)
    state.refresh_from_db()
    cursor = int(since.timestamp()) if since is not None else state.cursor
    result = PayoutSyncResult()
    try:
        starting_after: str | None = None
        while True:
            take_request()
            page = stripe_api.payouts_list(
                account=account.stripe_id,
                created_gte=cursor,
                starting_after=starting_after,
                limit=PAGE_SIZE,
            )
            result.listing_calls += 1
            with transaction.atomic():
                payouts_upsert(account=account, payouts=page["data"])
            result.payouts += len(page["data"])
            if not page["has_more"] or not page["data"]:
                break
            starting_after = page["data"][-1]["id"]
        pending = list(
            Payout.objects.filter(
                account=account, status__in=LINES_FOR, lines_synced_at__isnull=True
            )
            .select_related("portal", "account")
            .order_by("stripe_created", "pk")
        )
        # The next payout's lines are requested while this one's are written (one payout
        # ahead, no database access in the fetching thread); a payout's lines and its
        # `lines_synced_at` are committed together, so a crash re-reads only the rest.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="payout-sync") as pool:
            ahead: Future | None = None
            if pending:
                ahead = pool.submit(fetch_lines, account=account, payout_id=pending[0].stripe_id)
            for index, payout in enumerate(pending):
                assert ahead is not None
                transactions, calls = ahead.result()
                ahead = None
                if index + 1 < len(pending):
                    ahead = pool.submit(
                        fetch_lines, account=account, payout_id=pending[index + 1].stripe_id
                    )
                with transaction.atomic():
                    result.lines += payout_record_lines(payout=payout, transactions=transactions)
                result.line_calls += calls
                if on_payout:
                    on_payout(payout)
        payout_lines_rematch(account=account)
        result.failed = payouts_notify_failed(account=account)
    except Exception as exc:
        PayoutSyncState.objects.filter(pk=state.pk).update(
            running_since=None, last_error=str(exc)[:500], last_error_at=hub_now()
        )
        raise
    PayoutSyncState.objects.filter(pk=state.pk).update(
        cursor=_next_cursor(account=account, fallback=cursor),
        running_since=None,
        active_from=now - PAYOUT_WINDOW,
        last_success_at=hub_now(),
        last_error="",
        calls=result.listing_calls + result.line_calls,
    )
    log.info(
        "payout sync %s: %d payouts, %d lines, %d calls",
        account.stripe_id,
        result.payouts,
        result.lines,
        result.listing_calls + result.line_calls,
    )
    return result


def _next_cursor(*, account: StripeAccount, fallback: int | None) -> int | None:
    payouts = Payout.objects.filter(account=account)
    open_one = (
        payouts.exclude(status__in=FINAL_STATUSES)
        .order_by("stripe_created")
        .values_list("stripe_created", flat=True)
        .first()
    )
    if open_one is not None:
        return int(open_one.timestamp())
    newest = payouts.order_by("-stripe_created").values_list("stripe_created", flat=True).first()
    if newest is None:
        return fallback
    return int(newest.timestamp()) - OVERLAP_SECONDS


def payouts_upsert(*, account: StripeAccount, payouts: Iterable[dict]) -> list[Payout]:
    """Creates or updates the hub's rows for these Stripe payouts (one read, then one
    write per row that changed). Call inside a transaction."""
    incoming = {p["id"]: p for p in payouts}
    if not incoming:
        return []
    existing = {
        p.stripe_id: p
        for p in Payout.objects.select_for_update().filter(
            account=account, stripe_id__in=list(incoming)
        )
    }
    out = []
    for stripe_id, data in incoming.items():
        values = _payout_values(data)
        row = existing.get(stripe_id)
        if row is None:
            row = Payout.objects.create(
                portal_id=account.portal_id, account=account, stripe_id=stripe_id, **values
            )
        else:
            changed = [name for name, value in values.items() if getattr(row, name) != value]
            if changed:
                for name in changed:
                    setattr(row, name, values[name])
                row.save(update_fields=[*changed, "updated_at"])
        out.append(row)
    return out


def _payout_values(data: dict) -> dict:
    destination = data.get("destination")
    bank = destination if isinstance(destination, dict) else {}
    balance_transaction = data.get("balance_transaction")
    if isinstance(balance_transaction, dict):
        balance_transaction = balance_transaction.get("id")
    return {
        "amount": int(data["amount"]),
        "currency": str(data.get("currency") or "usd"),
        "status": str(data["status"]),
        "arrival_date": _day(data["arrival_date"]),
        "stripe_created": _from_unix(data["created"]),
        "method": str(data.get("method") or ""),
        "automatic": bool(data.get("automatic", True)),
        "bank_name": str(bank.get("bank_name") or "")[:200],
        "bank_last4": str(bank.get("last4") or "")[:4],
        "balance_transaction_id": str(balance_transaction or ""),
        "failure_code": str(data.get("failure_code") or ""),
        "failure_message": str(data.get("failure_message") or "")[:500],
    }


def payout_sync_lines(*, payout: Payout) -> tuple[int, int]:
    """Reads every balance transaction of the payout and records them in one
    transaction. Returns (Stripe calls, lines)."""
    transactions, calls = fetch_lines(account=payout.account, payout_id=payout.stripe_id)
    with transaction.atomic():
        count = payout_record_lines(payout=payout, transactions=transactions)
    return calls, count


def fetch_lines(*, account: StripeAccount, payout_id: str) -> tuple[list[dict], int]:
    """Every balance transaction of a payout, 100 a request, each within the budget.
    Stripe only: safe to run in another thread. Returns (transactions, calls)."""
    transactions: list[dict] = []
    starting_after: str | None = None
    calls = 0
    while True:
        take_request()
        page = stripe_api.payout_balance_transactions(
            account=account.stripe_id,
            payout_id=payout_id,
            starting_after=starting_after,
            limit=PAGE_SIZE,
        )
        calls += 1
        transactions.extend(page["data"])
        if not page["has_more"] or not page["data"]:
            return transactions, calls
        starting_after = page["data"][-1]["id"]


def payout_record_lines(*, payout: Payout, transactions: Iterable[dict]) -> int:
    """Replaces the payout's lines by these balance transactions (the payout's own
    `payout` transaction left out), each tied to the hub's record when one matches, and
    records their net total and how many the hub does not know. Idempotent. Call inside
    a transaction; locks the payout's row."""
    Payout.objects.select_for_update().filter(pk=payout.pk).first()
    lines = [
        PayoutLine(
            portal_id=payout.portal_id,
            payout=payout,
            balance_transaction_id=bt["id"],
            type=str(bt.get("type") or ""),
            kind=_kind(bt),
            amount=int(bt["amount"]),
            fee=int(bt.get("fee") or 0),
            net=int(bt["net"]),
            source_id=_source(bt),
            description=str(bt.get("description") or "")[:500],
            stripe_created=_from_unix(bt["created"]),
        )
        for bt in transactions
        if not (bt.get("type") in OWN_TYPES and _source(bt) == payout.stripe_id)
    ]
    _match(account=payout.account, lines=lines)
    PayoutLine.objects.filter(payout=payout).delete()
    PayoutLine.objects.bulk_create(lines, batch_size=500)
    payout.lines_count = len(lines)
    payout.lines_net = sum(line.net for line in lines)
    payout.unknown_lines = sum(1 for line in lines if not line.known)
    payout.lines_synced_at = hub_now()
    payout.save(
        update_fields=["lines_count", "lines_net", "unknown_lines", "lines_synced_at", "updated_at"]
    )
    return len(lines)


def payout_lines_rematch(*, account: StripeAccount) -> int:
    """Lines not tied to a hub record when read (a payment recorded after its payout was
    itemised) are matched again; no Stripe call. Returns how many became known."""
    lines = list(
        PayoutLine.objects.filter(payout__account=account, known=False).select_related("payout")
    )
    if not lines:
        return 0
    _match(account=account, lines=lines)
    found = [line for line in lines if line.known]
    if not found:
        return 0
    with transaction.atomic():
        PayoutLine.objects.bulk_update(found, ["payment", "refund", "known"])
        for payout_id in {line.payout_id for line in found}:
            unknown = PayoutLine.objects.filter(payout_id=payout_id, known=False).count()
            Payout.objects.filter(pk=payout_id).update(unknown_lines=unknown)
    return len(found)


def _kind(bt: dict) -> str:
    kind = bt.get("type")
    source = _source(bt)
    if kind in CHARGE_TYPES:
        return PayoutLine.Kind.PAYMENT
    if kind in REFUND_TYPES:
        return PayoutLine.Kind.REFUND
    if kind in DISPUTE_TYPES and source.startswith(("dp_", "du_")):
        return PayoutLine.Kind.DISPUTE
    if kind in FEE_TYPES:
        return PayoutLine.Kind.FEE
    if kind == "payout_failure":
        return PayoutLine.Kind.PAYOUT_FAILURE
    return PayoutLine.Kind.OTHER


def _match(*, account: StripeAccount, lines: list[PayoutLine]) -> None:
    """Ties each line to the payment, refund, dispute or payout of the same account and
    portal it names (a fixed handful of queries, whatever the number of lines)."""
    portal_id = account.portal_id
    by_kind: dict[str, set[str]] = {}
    for line in lines:
        by_kind.setdefault(line.kind, set()).add(line.source_id)
    payments = Payment.objects.filter(portal_id=portal_id, stripe_account_id=account.stripe_id)
    charges = {
        p.charge_id: p
        for p in payments.filter(charge_id__in=by_kind.get(PayoutLine.Kind.PAYMENT, ()))
    }
    disputes = {
        p.dispute_id: p
        for p in payments.filter(dispute_id__in=by_kind.get(PayoutLine.Kind.DISPUTE, ()))
    }
    refunds = {
        r.stripe_id: r
        for r in Refund.objects.filter(
            portal_id=portal_id,
            payment__stripe_account_id=account.stripe_id,
            stripe_id__in=by_kind.get(PayoutLine.Kind.REFUND, ()),
        )
    }
    returned = set(
        Payout.objects.filter(
            account=account, stripe_id__in=by_kind.get(PayoutLine.Kind.PAYOUT_FAILURE, ())
        ).values_list("stripe_id", flat=True)
    )
    for line in lines:
        if line.kind == PayoutLine.Kind.PAYMENT:
            line.payment = charges.get(line.source_id)
            line.known = line.payment is not None
        elif line.kind == PayoutLine.Kind.DISPUTE:
            line.payment = disputes.get(line.source_id)
            line.known = line.payment is not None
        elif line.kind == PayoutLine.Kind.REFUND:
            line.refund = refunds.get(line.source_id)
            line.payment_id = line.refund.payment_id if line.refund else None
            line.known = line.refund is not None
        elif line.kind == PayoutLine.Kind.PAYOUT_FAILURE:
            line.known = line.source_id in returned
        else:
            line.known = line.kind == PayoutLine.Kind.FEE


# --- Webhooks -----------------------------------------------------------------------


def payout_refresh(*, account: StripeAccount, payout_id: str) -> Payout:
    """A payout.* webhook: re-fetches the payout (events arrive out of order), upserts
    it, itemises it once paid and tells super admins once it failed."""
    take_request()
    data = stripe_api.payout_retrieve(account=account.stripe_id, payout_id=payout_id)
    with transaction.atomic():
        (payout,) = payouts_upsert(account=account, payouts=[data])
    if payout.status in LINES_FOR and payout.lines_synced_at is None:
        payout_sync_lines(payout=payout)
    if payout.status == Payout.Status.FAILED:
        payouts_notify_failed(account=account)
    payout.refresh_from_db()
    return payout


def payouts_notify_failed(*, account: StripeAccount) -> list[str]:
    """E-mails the portal's super admins once about each failed payout: the row is
    claimed with a conditional UPDATE, so a webhook and a run never both send. The
    e-mail goes after commit (commerce.notifications)."""
    sent = []
    for payout in Payout.objects.filter(
        account=account, status=Payout.Status.FAILED, failure_notified_at__isnull=True
    ).select_related("portal"):
        with transaction.atomic():
            claimed = Payout.objects.filter(pk=payout.pk, failure_notified_at__isnull=True).update(
                failure_notified_at=hub_now()
            )
            if not claimed:
                continue
            notify_portal(
                portal=payout.portal,
                template="payout_failed",
                context={
                    "payout": payout,
                    "amount": money.format_cents(payout.amount, payout.currency),
                    "url": settings.SITE_URL + reverse("payments:payout_detail", args=[payout.pk]),
                },
                roles=[Role.SUPER_ADMIN],
            )
        sent.append(payout.stripe_id)
    return sent


def _source(bt: dict) -> str:
    source = bt.get("source")
    if isinstance(source, dict):
        source = source.get("id")
    return str(source or "")


def _from_unix(value: int) -> datetime:
    return datetime.fromtimestamp(int(value), tz=UTC)


def _day(value: int) -> date:
    return _from_unix(value).date()
