"""Hosted checkout page throughput (GET /pay/<slug>/, a link with 10 lines) against a
trivial Django view, both served by the same gunicorn in the same run. Goals: the card
step >= 0.3, the new buyer's page >= 0.5.

A new buyer gets the page's first step from the page cache after one query (the link's
version, and for a limited link whether a use is free). A buyer with a session (a
returning buyer, or one who changes their details) gets the page rendered for them: the
parts every buyer of the link sees (shell, order summary, the form's fields) come from
the page cache, their step (the details form, or the card form of their open checkout)
is rendered per request, in a constant number of queries (asserted in
tests/payments/test_checkout.py). Measured: the card step (a session without an open
checkout: the details form rendered in full), the card form of a buyer whose checkout
has its PaymentIntent, and new buyers of the unlimited and the single-use link. The last
line gives the card step's and the new buyer's ratios.

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
from payments.checkout import order_for_link
from payments.links.services import LineSpec, payment_link_create
from payments.models import Checkout, StripeAccount
portal = Portal.objects.create(name="Bench Portal", checkout_text="Thanks for your order.")
account = StripeAccount.objects.create(
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
order = {**order_for_link(link), "customer_email": "ada@example.org"}
Checkout.objects.create(
    portal=portal, source="payment_link", payment_link=link, session_key="bench-card-form",
    status="open", order=order, amount=order["total"], currency=order["currency"],
    email="ada@example.org", name="Ada Lovelace", stripe_account_id=account.stripe_id,
    payment_intent_id="pi_bench_" + secrets.token_hex(6), client_secret="pi_bench_secret",
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
        # A session cookie skips the cached page; this session has no open checkout.
        return "GET", f"/pay/{slug}/", None, {"Cookie": "sessionid=bench-returning-buyer"}

    def card_form(i):
        # This session's checkout has its PaymentIntent: the page shows the card form.
        return "GET", f"/pay/{slug}/", None, {"Cookie": "sessionid=bench-card-form"}

    with gunicorn(env) as port:
        load(port, trivial, seconds=1, concurrency=args.concurrency)  # warm up
        load(port, checkout, seconds=1, concurrency=args.concurrency)
        load(port, limited, seconds=1, concurrency=args.concurrency)
        load(port, full, seconds=1, concurrency=args.concurrency)
        load(port, card_form, seconds=1, concurrency=args.concurrency)
        rates: dict[str, list[float]] = {
            "trivial": [],
            "checkout": [],
            "limited": [],
            "full": [],
            "card_form": [],
        }
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
            rates["card_form"].append(
                load(port, card_form, seconds=args.seconds / 2, concurrency=args.concurrency)
            )
    rate = {name: sum(values) / len(values) for name, values in rates.items()}
    ratio = {name: value / rate["trivial"] for name, value in rate.items()}
    print(f"trivial view:  {rate['trivial']:8.0f} req/s")
    print(
        f"card form (open checkout with its intent): {rate['card_form']:8.0f} req/s "
        f"(ratio {ratio['card_form']:.2f})"
    )
    print(
        f"single-use link, new buyer: {rate['limited']:8.0f} req/s (ratio {ratio['limited']:.2f})"
    )
    print(
        f"card step (full render, buyer with a session): {rate['full']:8.0f} req/s "
        f"(ratio {ratio['full']:.2f}, goal >= 0.30)"
    )
    print(
        f"new buyer (cached page): {rate['checkout']:8.0f} req/s "
        f"(GET /pay/<slug>/, 10 lines; ratio {ratio['checkout']:.2f}, goal >= 0.50)"
    )
    print(f"ratio card-step {ratio['full']:.2f} new-buyer {ratio['checkout']:.2f}")


if __name__ == "__main__":
    main()
