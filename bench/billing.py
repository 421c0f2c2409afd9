"""The billing run against a bare SDK loop creating the same PaymentIntents.

    .venv/bin/python bench/billing.py [--subscriptions 2000] [--processes 4] [--idle 100000]

Starts its own fakestripe (`python -m fakestripe --port N`) and makes one verified
connected account with a customer and a saved card. The database is a new SQLite file
under var/bench/billing-<id>/, or, when DATABASE_URL is set, that database, migrated and
used as it is (rows are added to whatever it holds; use an empty one). Then it measures
wall-clock time, with the same number of child processes each time, counted from the
moment every child has imported and set up Django and is told to go until the last one
exits:
- the baseline: each child loops `stripe.StripeClient.v1.payment_intents.create` with
  the parameters the hub sends (off_session, confirm, metadata, idempotency key,
  latest_charge expanded; no SDK retries), N in all, doing nothing with the answers;
- the hub: the parent lists the due ids (`billing_due_ids`, timed and added), then each
  child calls `subscriptions.billing.billing_charge_batch` on its share,
  SUBSCRIPTION_BILLING_BATCH_SIZE ids per call (the billing tasks' batch, 100 by
  default) — claim, cycles, attempts, Payments, timeline entries, and the receipt tasks
  enqueued on the configured broker (not sent: no worker runs). It calls the function
  the billing queue's workers call, not Celery: no broker round trip per batch. The
  request budget is off (SUBSCRIPTION_STRIPE_REQUESTS_PER_SECOND=0), so only the code
  is measured;
- the hub again after adding `--idle` not-due subscriptions and N fresh due ones
  (ANALYZE, and a WAL checkpoint on SQLite, before timing).
It prints the three rates, the not-due overhead (second hub run against the first;
goal < +10%) and, last, the ratio hub / baseline throughput (goal >= 0.8). It asserts
neither goal and does not look at query plans: that the due listing goes through the
next-billing-date index on PostgreSQL is asserted by tests/subscriptions/
test_billing_plan.py, and the constant queries per billed subscription by
tests/subscriptions/test_billing.py.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import control, start_fakestripe  # noqa: E402

SECRET = "sk_test_benchbilling"


def hub_env(base: str, database_url: str, var: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "VAR_DIR": str(var),
        "STRIPE_SECRET_KEY": SECRET,
        "STRIPE_PUBLISHABLE_KEY": "pk_test_benchbilling",
        "STRIPE_API_BASE": base,
        "SUBSCRIPTION_STRIPE_REQUESTS_PER_SECOND": "0",
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
    }


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "commerce.settings"
    import django

    django.setup()


def parallel(env: dict[str, str], role: str, shares: list[str]) -> float:
    """Runs `role` in one child process per share; returns the wall time of them all,
    from the moment every child has started up (imports, Django setup) and is told to go."""
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--child", role, "--share", share],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for share in shares
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        if proc.wait() != 0:
            raise RuntimeError(f"{role} child failed")
    return time.perf_counter() - started


def child_baseline(spec: dict) -> None:
    import stripe

    client = stripe.StripeClient(
        SECRET,
        stripe_account=spec["account"],
        base_addresses={"api": spec["base"], "connect": spec["base"], "files": spec["base"]},
        max_network_retries=0,
    )
    for i in spec["items"]:
        client.v1.payment_intents.create(
            {
                "amount": 5000,
                "currency": "usd",
                "customer": spec["customer"],
                "payment_method": spec["payment_method"],
                "off_session": True,
                "confirm": True,
                "description": "every month for 12 months · period 2",
                "metadata": {
                    "billing_attempt": f"base:{spec['run']}:{i}",
                    "billing_cycle": str(i),
                    "subscription": str(i),
                    "portal": "1",
                    "period": "2",
                },
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
                "expand": ["latest_charge"],
            },
            {"idempotency_key": f"base:{spec['run']}:{i}"},
        )


def child_hub(spec: dict) -> None:
    from django.conf import settings

    from subscriptions import billing

    ids = spec["items"]
    size = settings.SUBSCRIPTION_BILLING_BATCH_SIZE
    for start in range(0, len(ids), size):
        result = billing.billing_charge_batch(subscription_ids=ids[start : start + size])
        if result.succeeded != len(ids[start : start + size]):
            raise RuntimeError(f"batch billed {result.succeeded}: {result.errors[:3]}")


def make_world(base: str, count: int) -> dict:
    import stripe

    platform = stripe.StripeClient(
        SECRET, base_addresses={"api": base, "connect": base, "files": base}
    )
    account = platform.v1.accounts.create(
        {
            "country": "US",
            "email": "bench@example.org",
            "controller": {"stripe_dashboard": {"type": "full"}},
        }
    ).id
    control(base, f"accounts/{account}/verify")
    connected = stripe.StripeClient(
        SECRET, stripe_account=account, base_addresses={"api": base, "connect": base, "files": base}
    )
    customer = connected.v1.customers.create({"email": "buyer@example.org"}).id
    pm = connected.v1.payment_methods.attach("pm_card_visa", {"customer": customer}).id
    return {"account": account, "customer": customer, "payment_method": pm}


def create_subscriptions(world: dict, count: int, *, due: bool) -> list[int]:
    from datetime import timedelta

    from django.utils import timezone

    from commerce.customers.models import Contact
    from commerce.portals.models import Portal
    from subscriptions.models import Subscription

    portal = Portal.objects.first() or Portal.objects.create(name="Bench portal")
    contact = Contact.objects.filter(portal=portal).first() or Contact.objects.create(
        portal=portal, email="buyer@example.org", first_name="Bench"
    )
    today = timezone.localdate()
    rows = [
        Subscription(
            portal=portal,
            contact=contact,
            status=Subscription.Status.ACTIVE,
            billing_frequency="monthly",
            term_periods=12,
            amount=5000,
            start_date=today - timedelta(days=31),
            next_billing_date=today if due else today + timedelta(days=20),
            periods_billed=1,
            stripe_account_id=world["account"],
            stripe_customer_id=world["customer"],
            payment_method_id=world["payment_method"],
        )
        for _ in range(count)
    ]
    created = Subscription.objects.bulk_create(rows, batch_size=2000)
    return [s.pk for s in created]


def shares_of(
    items: list, processes: int, base: str, world: dict, run: str, var: Path
) -> list[str]:
    paths = []
    for i in range(processes):
        path = var / f"share-{run}-{i}.json"
        path.write_text(
            json.dumps({**world, "base": base, "run": run, "items": items[i::processes]})
        )
        paths.append(str(path))
    return paths


def hub_run(env: dict[str, str], processes: int, base: str, world: dict, run: str, var: Path):
    """A billing run: the due query (what billing_run does), then the batches."""
    from subscriptions.billing import billing_due_ids

    started = time.perf_counter()
    due = billing_due_ids()
    listing = time.perf_counter() - started
    return listing + parallel(env, "hub", shares_of(due, processes, base, world, run, var))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--idle", type=int, default=100_000)
    parser.add_argument("--child")
    parser.add_argument("--share")
    args = parser.parse_args()

    if args.child:
        spec = json.loads(Path(args.share).read_text())
        if args.child == "hub":
            setup_django(dict(os.environ))
            from django.db import connection

            import subscriptions.billing  # noqa: F401
            from subscriptions.tasks import send_receipts

            # Connected to the database and the broker, its task modules loaded, as a
            # worker is before its first task (the receipts of no cycles: a no-op).
            connection.ensure_connection()
            send_receipts.delay([])
        else:
            import stripe  # noqa: F401
        print("ready", flush=True)
        sys.stdin.readline()
        work = child_hub if args.child == "hub" else child_baseline
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            cProfile.runctx(
                "work(spec)", globals(), {"work": work, "spec": spec}, f"{args.share}.prof"
            )
        else:
            work(spec)
        return

    proc, base = start_fakestripe()
    try:
        run(base, args.subscriptions, args.processes, args.idle)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def run(base: str, count: int, processes: int, idle: int) -> None:
    var = ROOT / "var" / "bench" / f"billing-{uuid.uuid4().hex[:8]}"
    var.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{var / 'bench.sqlite3'}"
    env = hub_env(base, database_url, var)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    setup_django(env)
    world = make_world(base, count)

    baseline_time = parallel(
        env, "baseline", shares_of(list(range(count)), processes, base, world, "base", var)
    )
    create_subscriptions(world, count, due=True)
    hub_time = hub_run(env, processes, base, world, "hub", var)

    from django.db import connection

    create_subscriptions(world, idle, due=False)
    create_subscriptions(world, count, due=True)
    # Settle the bulk insert first (statistics; SQLite's write-ahead log checkpointed),
    # so the run measures the table's size, not the aftermath of loading it.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE subscriptions_subscription")
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    idle_time = hub_run(env, processes, base, world, "idle", var)

    baseline_rate = count / baseline_time
    hub_rate = count / hub_time
    idle_rate = count / idle_time
    print(f"database: {connection.vendor}, processes: {processes}, subscriptions: {count}")
    print(f"baseline SDK loop: {baseline_rate:,.0f} PaymentIntents/s ({baseline_time:.2f} s)")
    print(f"hub billing run: {hub_rate:,.0f} subscriptions/s ({hub_time:.2f} s)")
    print(
        f"hub billing run with {idle:,} not-due subscriptions: {idle_rate:,.0f}/s "
        f"({idle_time:.2f} s, overhead {idle_time / hub_time - 1:+.1%}, goal < +10%)"
    )
    print(f"billing throughput ratio (hub / SDK loop, goal >= 0.8): {hub_rate / baseline_rate:.2f}")


if __name__ == "__main__":
    main()
