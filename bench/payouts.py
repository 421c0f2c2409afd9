"""Payout sync of 100 payouts of 100 balance transactions each, against a bare SDK loop.

    .venv/bin/python bench/payouts.py [--payouts 100] [--lines 100]

Starts its own fakestripe, makes one connected account pay out `--payouts` automatic
payouts (each day `/_fake/seed` makes `--lines - 1` charges; fakestripe's clock then
moves a day, and two days later those charges are paid out). `GET
/v1/balance_transactions?payout=po_…` lists `--lines` transactions per payout: the
charges plus the payout's own `payout` transaction, as Stripe lists it. The hub's
Payments for the charges are recorded in bulk. Then, in this one process:
- the baseline: `stripe.StripeClient` paging `GET /v1/payouts` 100 at a time, and for
  each payout paging `GET /v1/balance_transactions?payout=` 100 at a time, doing nothing
  with the data;
- the hub: `payments.payouts.services.payouts_sync_account` from a fresh state (the same
  pages, plus storing every payout and line and tying each line to its payment).

Both sides wait for the same request budget (the fee sync's, which the payout sync
shares: settings.FEE_SYNC_REQUESTS_PER_SECOND, default 20/s), emptied before each side.
Stripe calls are counted at fakestripe (`/_fake/stats`): the calls beyond the payout
listing, per payout, must be <= 1.05. The last line is the throughput ratio (baseline
time / hub time, same budget; goal >= 0.7). A run without any budget first shows what
the code costs beyond Stripe's answers. Uses a fresh SQLite database under var/bench/
unless DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import control, start_fakestripe  # noqa: E402

SECRET = "sk_test_benchpayouts"
DAY = 86_400


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payouts", type=int, default=100)
    parser.add_argument(
        "--lines", type=int, default=100, help="listed per payout, its own included"
    )
    args = parser.parse_args()

    proc, base = start_fakestripe()
    try:
        run(base, args.payouts, args.lines)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def run(base: str, payout_count: int, lines: int) -> None:
    var = ROOT / "var" / "bench"
    var.mkdir(parents=True, exist_ok=True)
    db = var / "payouts.sqlite3"
    if "DATABASE_URL" not in os.environ and db.exists():
        db.unlink()
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{db}")
    os.environ.update(
        VAR_DIR=str(var),
        DEBUG="false",
        LOG_LEVEL="WARNING",
        STRIPE_API_BASE=base,
        STRIPE_SECRET_KEY=SECRET,
        DJANGO_SETTINGS_MODULE="commerce.settings",
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import override_settings
    from django.utils import timezone

    call_command("migrate", "--noinput", verbosity=0)
    import stripe

    from commerce.portals.models import Portal
    from payments.fees import services as fees
    from payments.models import Payment, Payout, PayoutSyncState, StripeAccount
    from payments.payouts import services as payouts
    from payments.stripe import core as stripe_api_core

    platform = stripe.StripeClient(SECRET, base_addresses={"api": base, "connect": base})
    acct = platform.v1.accounts.create(
        {"type": "standard", "country": "US", "email": "bench@payouts.test"},
        {"idempotency_key": str(uuid.uuid4())},
    ).id
    control(base, f"accounts/{acct}/verify")
    started = time.perf_counter()
    now = control(base, "clock", "GET")["now"]
    control(base, "clock/advance", seconds=DAY - now % DAY + 60)
    for _ in range(payout_count):
        # `seed` makes half customers, half charges: `lines - 1` charges a day.
        control(base, "seed", count=(lines - 1) * 2, account=acct)
        control(base, "clock/advance", seconds=DAY)
    control(base, "clock/advance", seconds=2 * DAY)
    portal = Portal.objects.create(name="Payout sync bench")
    account = StripeAccount.objects.create(
        portal=portal, stripe_id=acct, status="ready", charges_enabled=True
    )
    client = stripe.StripeClient(
        SECRET, base_addresses={"api": base, "connect": base}, stripe_account=acct
    )
    paid = timezone.now()
    rows = [
        Payment(
            portal=portal,
            source=Payment.Source.PAYMENT_LINK,
            status=Payment.Status.SUCCEEDED,
            amount=charge.amount,
            stripe_account_id=acct,
            payment_intent_id=charge.payment_intent,
            charge_id=charge.id,
            paid_at=paid,
        )
        for charge in client.v1.charges.list({"limit": 100}).auto_paging_iter()
    ]
    Payment.objects.bulk_create(rows, batch_size=1000)
    print(
        f"seeded {len(rows)} payments over {payout_count} days "
        f"in {time.perf_counter() - started:.1f}s"
    )

    stripe_api_core._client(acct)  # the hub's shared HTTP client is built before timing

    def baseline() -> tuple[int, int, float]:
        """A bare SDK loop over the same pages, within the same budget as the hub's."""
        fees.STRIPE_BUDGET.clear()
        started = time.perf_counter()
        listed, line_pages, after = [], 0, None
        while True:
            params: dict = {"limit": 100, "expand": ["data.destination"]}
            if after:
                params["starting_after"] = after
            fees.STRIPE_BUDGET.wait()
            page = client.v1.payouts.list(params)
            listed.extend(page.data)
            if not page.has_more or not page.data:
                break
            after = page.data[-1].id
        for payout in listed:
            after = None
            while True:
                params = {"limit": 100, "payout": payout.id}
                if after:
                    params["starting_after"] = after
                fees.STRIPE_BUDGET.wait()
                page = client.v1.balance_transactions.list(params)
                line_pages += 1
                if not page.has_more or not page.data:
                    break
                after = page.data[-1].id
        return len(listed), line_pages, time.perf_counter() - started

    def hub() -> tuple[payouts.PayoutSyncResult, float, dict]:
        Payout.objects.filter(portal=portal).delete()
        PayoutSyncState.objects.filter(account=account).delete()
        fees.STRIPE_BUDGET.clear()
        control(base, "stats/reset")
        started = time.perf_counter()
        result = payouts.payouts_sync_account(account=account)
        elapsed = time.perf_counter() - started
        stored = Payout.objects.filter(portal=portal)
        assert stored.count() == payout_count, f"{stored.count()} payouts synced"
        assert all(p.reconciled for p in stored), "a payout does not add up"
        return result, elapsed, control(base, "stats", "GET")["calls"]

    # 1. Code only: neither side is throttled.
    with override_settings(FEE_SYNC_REQUESTS_PER_SECOND=0):
        count, line_pages, free_baseline = baseline()
        result, free_hub, _ = hub()
    print(
        f"code only (no budget): baseline {count} payouts, {line_pages} line pages in "
        f"{free_baseline:.2f}s; hub {result.payouts} payouts, {result.lines} lines in "
        f"{free_hub:.2f}s; ratio {free_baseline / free_hub:.2f}"
    )

    # 2. The real default budget, the same on both sides.
    rate = settings.FEE_SYNC_REQUESTS_PER_SECOND
    count, line_pages, budget_baseline = baseline()
    result, budget_hub, calls = hub()
    listing = calls.get("GET /v1/payouts", 0)
    beyond = sum(calls.values()) - listing
    per_payout = beyond / result.payouts
    print(f"budget: {rate} requests/s per process (burst {fees.STRIPE_BUDGET.burst}), both sides")
    print(
        f"baseline (bare SDK loop): {count} payouts, {line_pages} line pages in {budget_baseline:.2f}s"
    )
    print(
        f"hub payout sync: {result.payouts} payouts, {result.lines} lines (each tied to its "
        f"payment, every payout adds up) in {budget_hub:.2f}s"
    )
    print(
        f"stripe calls: {listing} listing, {beyond} beyond it for {result.payouts} payouts "
        f"= {per_payout:.3f} calls per payout beyond the listing (goal <= 1.05)"
    )
    assert per_payout <= 1.05, "more than 1.05 Stripe calls per payout beyond the listing"
    print(f"ratio (baseline / hub, same budget): {budget_baseline / budget_hub:.2f}")


if __name__ == "__main__":
    main()
