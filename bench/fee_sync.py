"""Fee sync of 10,000 payments against a bare SDK loop over the same balance transactions.

    .venv/bin/python bench/fee_sync.py [--payments 10000]

Starts its own fakestripe (`python -m fakestripe --port N`), seeds one connected account
with N succeeded charges via `/_fake/seed` (each makes a charge and its balance
transaction), records the hub's Payments for them in bulk, then compares, in this one
process:
- the baseline: `stripe.StripeClient` paging `GET /v1/balance_transactions` 100 at a time
  with `starting_after` until `has_more` is false, doing nothing with the data;
- the hub: `payments.fees.services.fees_sync_account` from a fresh state (same pages, plus matching
  and writing every payment's fee, net and details).

The fee sync never sends more than its request budget (settings.FEE_SYNC_REQUESTS_PER_SECOND,
default 20/s per process, burst 20; set the environment variable to try another rate).
At 20/s, 100 pages cannot take less than (100 - 20) / 20 = 4 s, so against an unthrottled
loop the ratio would measure the budget, not the code. The bench therefore runs twice:
1. code only: no budget on either side (what the code costs beyond Stripe's answers);
2. the real default: the baseline loop waits for the hub's own budget (the seam's rate
   limiter, `fees.STRIPE_BUDGET`), emptied before each side, so both sides wait the
   same; this ratio is the last line.
Between the runs the payments' synced fields and the sync state are cleared, so the hub
does the same work twice. Stripe calls are counted at fakestripe (`/_fake/stats`) in the
second run: calls per payment must be <= 0.012; the goal for the ratio (baseline time /
hub time) is >= 0.7. Uses a fresh SQLite database under var/bench/ unless DATABASE_URL
is set.
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

SECRET = "sk_test_benchfees"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=10_000)
    args = parser.parse_args()

    proc, base = start_fakestripe()
    try:
        run(base, args.payments)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def run(base: str, count: int) -> None:
    var = ROOT / "var" / "bench"
    var.mkdir(parents=True, exist_ok=True)
    db = var / "fee_sync.sqlite3"
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
    from payments.models import FeeSyncState, Payment, StripeAccount
    from payments.stripe import core as stripe_api_core

    platform = stripe.StripeClient(SECRET, base_addresses={"api": base, "connect": base})
    acct = platform.v1.accounts.create(
        {"type": "standard", "country": "US", "email": "bench@fees.test"},
        {"idempotency_key": str(uuid.uuid4())},
    ).id
    control(base, f"accounts/{acct}/verify")
    started = time.perf_counter()
    control(base, "seed", count=count * 2, account=acct)  # half charges, half customers
    portal = Portal.objects.create(name="Fee sync bench")
    account = StripeAccount.objects.create(
        portal=portal, stripe_id=acct, status="ready", charges_enabled=True
    )
    client = stripe.StripeClient(
        SECRET, base_addresses={"api": base, "connect": base}, stripe_account=acct
    )
    now = timezone.now()
    rows = [
        Payment(
            portal=portal,
            source=Payment.Source.PAYMENT_LINK,
            status=Payment.Status.SUCCEEDED,
            amount=charge.amount,
            stripe_account_id=acct,
            payment_intent_id=charge.payment_intent,
            charge_id=charge.id,
            paid_at=now,
        )
        for charge in client.v1.charges.list({"limit": 100}).auto_paging_iter()
    ]
    Payment.objects.bulk_create(rows, batch_size=1000)
    print(f"seeded {len(rows)} payments in {time.perf_counter() - started:.1f}s")

    stripe_api_core._client(acct)  # the hub's shared HTTP client is built before timing

    def baseline() -> tuple[int, float]:
        """A bare SDK loop over the same balance transactions (one client, reused),
        within the same budget as the hub's."""
        fees.STRIPE_BUDGET.clear()
        started = time.perf_counter()
        pages, after = 0, None
        while True:
            params: dict = {"limit": 100}
            if after:
                params["starting_after"] = after
            fees.STRIPE_BUDGET.wait()
            page = client.v1.balance_transactions.list(params)
            pages += 1
            if not page.has_more or not page.data:
                break
            after = page.data[-1].id
        return pages, time.perf_counter() - started

    def hub() -> tuple[fees.SyncResult, float, int]:
        Payment.objects.filter(portal=portal).update(
            fee=None,
            net=None,
            charge_gross=None,
            charge_fee=None,
            charge_net=None,
            fee_details=None,
            balance_transaction_id="",
            available_on=None,
            stripe_refunded=None,
            fees_synced_at=None,
        )
        FeeSyncState.objects.filter(account=account).delete()
        fees.STRIPE_BUDGET.clear()
        control(base, "stats/reset")
        started = time.perf_counter()
        result = fees.fees_sync_account(account=account)
        elapsed = time.perf_counter() - started
        synced = Payment.objects.filter(portal=portal, fee__isnull=False).count()
        assert synced == len(rows), f"{synced} of {len(rows)} payments synced"
        return result, elapsed, control(base, "stats", "GET")["total"]

    # 1. Code only: neither side is throttled.
    with override_settings(FEE_SYNC_REQUESTS_PER_SECOND=0):
        pages, free_baseline = baseline()
        result, free_hub, _ = hub()
    print(
        f"code only (no budget): baseline {pages} pages in {free_baseline:.2f}s, "
        f"hub {result.pages} pages in {free_hub:.2f}s, ratio {free_baseline / free_hub:.2f}"
    )

    # 2. The real default budget, the same on both sides.
    rate = settings.FEE_SYNC_REQUESTS_PER_SECOND
    pages, budget_baseline = baseline()
    result, budget_hub, calls = hub()
    per_payment = calls / len(rows)
    print(
        f"budget: {rate} requests/s per process (burst {fees.STRIPE_BUDGET.burst}), on both sides"
    )
    print(f"baseline (bare SDK loop): {pages} pages in {budget_baseline:.2f}s")
    print(
        f"hub fee sync: {result.pages} pages, {result.applied} payments updated "
        f"in {budget_hub:.2f}s"
    )
    print(f"stripe calls: {calls} for {len(rows)} payments = {per_payment:.4f} calls per payment")
    assert per_payment <= 0.012, "more than 0.012 Stripe calls per payment"
    print(f"ratio (baseline / hub, same budget): {budget_baseline / budget_hub:.2f}")


if __name__ == "__main__":
    main()
