"""Webhook endpoint throughput (verify + store + enqueue) against a trivial Django view,
both served by the same gunicorn in the same run. Goal: ratio >= 0.40.

    .venv/bin/python bench/webhooks.py [--seconds 5]

Uses DATABASE_URL / CELERY_BROKER_URL when set (PostgreSQL + Redis in CI), else SQLite
and the embedded broker under var/bench/.

Stripe delivers webhooks concurrently, so both endpoints are measured with 4 and with
16 concurrent keep-alive connections. With few connections the endpoint waits on each
commit's fsync; with more, PostgreSQL's group commit shares them. Both ratios are
printed; the last line is the one at 16 connections.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import time

from _server import bench_env, gunicorn, load, migrate

SECRET = "whsec_bench_secret"


def signed_event(i: int, run: str) -> tuple[bytes, str]:
    body = json.dumps(
        {
            "id": f"evt_bench_{run}_{i}",
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": f"cus_bench_{i}",
                    "object": "customer",
                    "email": f"b{i}@example.com",
                }
            },
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": "customer.created",
            "account": "acct_bench_unknown",
        }
    ).encode()
    t = int(time.time())
    mac = hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={t},v1={mac}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 16])
    args = parser.parse_args()

    env = bench_env(STRIPE_WEBHOOK_SECRETS=SECRET, STRIPE_SECRET_KEY="sk_test_bench")
    migrate(env)
    run = str(int(time.time() * 1000))

    def trivial(i):
        return "GET", "/ping", None, {}

    def webhook(i):
        body, header = signed_event(i, run)
        return (
            "POST",
            "/webhooks/stripe/",
            body,
            {"Content-Type": "application/json", "Stripe-Signature": header},
        )

    results = {}
    with gunicorn(env) as port:
        load(port, trivial, seconds=1, concurrency=4)  # warm up
        load(port, webhook, seconds=1, concurrency=4)
        for concurrency in args.concurrency:
            rates: dict[str, list[float]] = {"trivial": [], "webhook": []}
            # Interleave to share the machine's noise fairly.
            for _ in range(2):
                rates["trivial"].append(
                    load(port, trivial, seconds=args.seconds / 2, concurrency=concurrency)
                )
                rates["webhook"].append(
                    load(port, webhook, seconds=args.seconds / 2, concurrency=concurrency)
                )
            results[concurrency] = (sum(rates["trivial"]) / 2, sum(rates["webhook"]) / 2)
    database = env["DATABASE_URL"].split(":", 1)[0]
    for concurrency, (trivial_rate, webhook_rate) in results.items():
        print(
            f"{concurrency:>2} connections ({database}): trivial view {trivial_rate:7.0f} req/s, "
            f"webhook endpoint {webhook_rate:7.0f} req/s, ratio {webhook_rate / trivial_rate:.2f}"
        )
    concurrency, (trivial_rate, webhook_rate) = list(results.items())[-1]
    print(
        f"ratio webhook/trivial at {concurrency} connections: {webhook_rate / trivial_rate:.2f} (goal >= 0.40)"
    )


if __name__ == "__main__":
    main()
