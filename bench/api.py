"""Public API throughput (issue 17) against a trivial Django view, all served by the same
gunicorn in the same run. Goals: listing 100 payments (GET /api/v1/payments?limit=100)
>= 0.25 of the trivial view, retrieving one (GET /api/v1/payments/<id>) >= 0.50.

    .venv/bin/python bench/api.py [--seconds 5]

A portal with 150 succeeded payments (fee and net synced) and one key with
`payments:read`. Every request sends the key: after its first request in a worker the
key costs no query (api/keycache.py), so a list is one query and a retrieve one. The
rate limit is raised out of the way of the load (its cost, one hit of the in-memory or
Redis window per request, is still paid; API_RATE_LIMIT_PER_SECOND=0 turns it off). The last line gives both ratios.

Uses DATABASE_URL / REDIS_URL when set (PostgreSQL + Redis in CI), else SQLite under
var/bench/ and the rate limit in each worker's memory.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from _server import ROOT, bench_env, gunicorn, load, migrate

PAYMENTS = 150

SEED = f"""
import secrets
from datetime import timedelta
from django.utils import timezone
from api.services import key_create
from commerce.portals.models import Portal
from payments.models import Payment
portal = Portal.objects.create(name="API Bench Portal")
run = secrets.token_hex(4)
now = timezone.now()
Payment.objects.bulk_create(
    Payment(
        portal=portal, source="payment_link", status="succeeded", amount=5_000 + i,
        fee=175 + i, net=4_825, currency="usd", card_brand="visa", card_last4="4242",
        stripe_account_id="acct_bench", payment_intent_id=f"pi_bench_{{run}}_{{i}}",
        charge_id=f"ch_bench_{{run}}_{{i}}", paid_at=now - timedelta(minutes=i),
    )
    for i in range({PAYMENTS})
)
one = Payment.objects.filter(portal=portal).order_by("id").first()
created = key_create(portal=portal, name="Bench", scopes=["payments:read"])
print(created.secret, one.pk)
"""


def seed(env: dict[str, str]) -> list[str]:
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SEED],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1].split()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds")
    args = parser.parse_args()

    # Far above the load, so every request is counted and none refused; 0 (set in the
    # environment) measures without the limiter.
    extra = {"API_RATE_LIMIT_PER_SECOND": os.environ.get("API_RATE_LIMIT_PER_SECOND", "1000000")}
    if "DATABASE_URL" not in os.environ:
        # Persistent connections, as PostgreSQL gets from settings (CONN_MAX_AGE): the
        # embedded SQLite default otherwise opens a connection (and runs its PRAGMAs) per
        # request, which the database-free /ping baseline never pays.
        extra["DATABASE_URL"] = (
            f"sqlite:///{ROOT / 'var' / 'bench' / 'bench.sqlite3'}?conn_max_age=600"
        )
    env = bench_env(**extra)
    migrate(env)
    secret, payment_id = seed(env)
    auth = {"Authorization": f"Bearer {secret}"}

    def trivial(i):
        return "GET", "/ping", None, {}

    def listing(i):
        return "GET", "/api/v1/payments?limit=100", None, auth

    def retrieve(i):
        return "GET", f"/api/v1/payments/{payment_id}", None, auth

    scenarios = {"trivial": trivial, "list": listing, "retrieve": retrieve}
    rates: dict[str, list[float]] = {name: [] for name in scenarios}
    with gunicorn(env) as port:
        for make in scenarios.values():  # warm up: imports, connections, the key cache
            load(port, make, seconds=1, concurrency=args.concurrency)
        # Interleave in short rounds to share the machine's noise fairly.
        for _ in range(args.rounds):
            for name, make in scenarios.items():
                rates[name].append(
                    load(
                        port, make, seconds=args.seconds / args.rounds, concurrency=args.concurrency
                    )
                )
    rate = {name: sum(values) / len(values) for name, values in rates.items()}
    ratio = {name: value / rate["trivial"] for name, value in rate.items()}
    database = env["DATABASE_URL"].split(":", 1)[0]
    limiter = "redis" if os.environ.get("REDIS_URL") else "memory"
    print(f"trivial view ({database}, rate limit in {limiter}): {rate['trivial']:8.0f} req/s")
    print(
        f"list 100 payments: {rate['list']:8.0f} req/s "
        f"(GET /api/v1/payments?limit=100; ratio {ratio['list']:.2f}, goal >= 0.25)"
    )
    print(
        f"retrieve a payment: {rate['retrieve']:8.0f} req/s "
        f"(GET /api/v1/payments/<id>; ratio {ratio['retrieve']:.2f}, goal >= 0.50)"
    )
    print(f"ratio list-100 {ratio['list']:.2f} retrieve {ratio['retrieve']:.2f}")


if __name__ == "__main__":
    main()
