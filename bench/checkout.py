"""Hosted checkout page throughput (GET /pay/<slug>/, a link with 10 lines) against a
trivial Django view, both served by the same gunicorn in the same run. Goal: >= 0.5.

A new buyer gets the page's first step from the page cache after one query (the link's
version, and for a limited link whether a use is free). A buyer with a session (a
returning buyer, or one who changes their details) gets the page rendered in full, in a
constant number of queries (asserted in tests/payments/test_checkout.py). All three are
measured; the last line is the new buyer of the unlimited link.

    .venv/bin/python bench/checkout.py [--seconds 5]

The portal's Stripe account is seeded Ready to transact: the GET makes no Stripe call.
Uses DATABASE_URL when set, else SQLite under var/bench/.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from _server import ROOT, bench_env, gunicorn, load, migrate

SEED = """
import secrets
from commerce.catalog.models import Product
from commerce.portals.models import Portal
from payments.links.services import LineSpec, payment_link_create
from payments.models import StripeAccount
portal = Portal.objects.create(name="Bench Portal", checkout_text="Thanks for your order.")
StripeAccount.objects.create(
    portal=portal, stripe_id="acct_bench_" + secrets.token_hex(6), status="ready",
    charges_enabled=True, details_submitted=True, payouts_enabled=True,
)
products = [
    Product.objects.create(
        portal=portal, name=f"Item {i}", sku=f"B-{secrets.token_hex(4)}", unit_price=1000 + i,
        billing_frequency="monthly" if i % 3 == 0 else "one_time",
        term_periods=12 if i % 3 == 0 else None,
    )
    for i in range(10)
]
link = payment_link_create(
    portal=portal, user=None, name="Bench link", single_use=False,
    lines=[LineSpec(product_id=p.pk, quantity=1 + i % 2) for i, p in enumerate(products)],
)
limited = payment_link_create(
    portal=portal, user=None, name="Bench single-use link", single_use=True,
    lines=[LineSpec(product_id=p.pk, quantity=1 + i % 2) for i, p in enumerate(products)],
)
print(link.slug, limited.slug)
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
    args = parser.parse_args()

    extra = {"STRIPE_SECRET_KEY": "sk_test_bench", "STRIPE_PUBLISHABLE_KEY": "pk_test_bench"}
    if "DATABASE_URL" not in os.environ:
        # Persistent connections, as PostgreSQL gets from settings (CONN_MAX_AGE): the
        # embedded SQLite default otherwise opens a connection (and runs its PRAGMAs) per
        # request, which the database-free /ping baseline never pays.
        extra["DATABASE_URL"] = (
            f"sqlite:///{ROOT / 'var' / 'bench' / 'bench.sqlite3'}?conn_max_age=600"
        )
    env = bench_env(**extra)
    migrate(env)
    slug, limited_slug = seed(env)

    def trivial(i):
        return "GET", "/ping", None, {}

    def checkout(i):
        return "GET", f"/pay/{slug}/", None, {}

    def limited(i):
        return "GET", f"/pay/{limited_slug}/", None, {}

    def full(i):
        # A session cookie skips the page cache; this session has no open checkout.
        return "GET", f"/pay/{slug}/", None, {"Cookie": "sessionid=bench-returning-buyer"}

    with gunicorn(env) as port:
        load(port, trivial, seconds=1, concurrency=args.concurrency)  # warm up
        load(port, checkout, seconds=1, concurrency=args.concurrency)
        load(port, limited, seconds=1, concurrency=args.concurrency)
        load(port, full, seconds=1, concurrency=args.concurrency)
        rates: dict[str, list[float]] = {"trivial": [], "checkout": [], "limited": [], "full": []}
        # Interleave to share the machine's noise fairly.
        for _ in range(2):
            rates["trivial"].append(
                load(port, trivial, seconds=args.seconds / 2, concurrency=args.concurrency)
            )
            rates["checkout"].append(
                load(port, checkout, seconds=args.seconds / 2, concurrency=args.concurrency)
            )
            rates["limited"].append(
                load(port, limited, seconds=args.seconds / 2, concurrency=args.concurrency)
            )
            rates["full"].append(
                load(port, full, seconds=args.seconds / 2, concurrency=args.concurrency)
            )
    trivial_rate = sum(rates["trivial"]) / len(rates["trivial"])
    checkout_rate = sum(rates["checkout"]) / len(rates["checkout"])
    print(f"trivial view:  {trivial_rate:8.0f} req/s")
    limited_rate = sum(rates["limited"]) / len(rates["limited"])
    full_rate = sum(rates["full"]) / len(rates["full"])
    print(
        f"full render (buyer with a session): {full_rate:8.0f} req/s "
        f"(ratio {full_rate / trivial_rate:.2f})"
    )
    print(
        f"single-use link, new buyer: {limited_rate:8.0f} req/s "
        f"(ratio {limited_rate / trivial_rate:.2f})"
    )
    print(f"checkout page: {checkout_rate:8.0f} req/s (GET /pay/<slug>/, 10 lines)")
    print(f"ratio checkout/trivial: {checkout_rate / trivial_rate:.2f} (goal >= 0.50)")


if __name__ == "__main__":
    main()
