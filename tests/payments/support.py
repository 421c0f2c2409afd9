"""Helpers of the payments tests, also used by the quote, invoice, subscription and
browser tests (imported, not collected). Each takes what it works on as arguments; the
fixtures (`stripe_hub`, `ready_account`, …) live in tests/conftest.py.

Payments are made two ways: `PaymentFactory` (tests/factories.py) writes a row only,
for list behaviour; `paid_payment` makes a real charge in fakestripe on a verified
connected account and records the Payment the way checkout would.
"""

from __future__ import annotations

import html
import re
import uuid

from django.test import Client
from django.utils import timezone

from commerce.catalog.models import BillingFrequency
from payments.connect import services as accounts
from payments.links.services import LineSpec, payment_link_create
from payments.models import Checkout, Payment, PaymentLink, Refund, StripeAccount
from tests.factories import PaymentFactory, ProductFactory, StripeAccountFactory

# --- Connect onboarding ------------------------------------------------------------------

RETURN = "http://hub.test/payments/settings/return/"
REFRESH = "http://hub.test/payments/settings/refresh/"


def start_onboarding(portal, user, **overrides) -> str:
    """Get started on the settings page: the account link the admin is sent to."""
    kwargs = dict(
        portal=portal,
        user=user,
        ip="203.0.113.9",
        confirmed_us=True,
        accepted_terms=True,
        return_url=RETURN,
        refresh_url=REFRESH,
    )
    kwargs.update(overrides)
    return accounts.onboarding_start(**kwargs)


def stripe_accounts(fakestripe) -> list:
    return fakestripe.client().v1.accounts.list({"limit": 100}).data


# --- Payment links and the hosted checkout ----------------------------------------------


def make_link(portal, user=None, *, lines=None, **fields) -> PaymentLink:
    """A link with a $200 one-time setup and a $50/month plan for 12 months by default."""
    if lines is None:
        setup = ProductFactory(portal=portal, name="Onboarding", unit_price=20000)
        plan = ProductFactory(
            portal=portal,
            name="Growth plan",
            unit_price=5000,
            billing_frequency=BillingFrequency.MONTHLY,
            term_periods=12,
        )
        lines = [
            LineSpec(product_id=setup.pk, quantity=1),
            LineSpec(product_id=plan.pk, quantity=1),
        ]
    return payment_link_create(
        portal=portal, user=user, lines=lines, **{"name": "Spring offer", **fields}
    )


def buyer_details(**extra) -> dict:
    return {"email": "Ada@Example.org", "name": "Ada Lovelace", **extra}


def start_checkout(client: Client, link: PaymentLink, **data) -> Checkout:
    response = client.post(f"/pay/{link.slug}/", buyer_details(**data))
    assert response.status_code == 303, response.content.decode()[:2000]
    return Checkout.objects.filter(payment_link=link).latest("created_at")


def confirm(stripe_hub, checkout: Checkout, payment_method: str = "pm_card_visa") -> dict:
    """What Stripe.js does in the buyer's browser: confirm the intent with a card."""
    import stripe

    client = stripe_hub.client(stripe_account=checkout.stripe_account_id)
    try:
        return client.v1.payment_intents.confirm(
            checkout.payment_intent_id, {"payment_method": payment_method}
        ).to_dict()
    except stripe.CardError as exc:
        return {"error": exc.user_message}


def return_to_hub(client: Client, link: PaymentLink, checkout: Checkout):
    return client.get(
        f"/pay/{link.slug}/return/?checkout={checkout.public_id}"
        f"&payment_intent={checkout.payment_intent_id}"
    )


def intents_on(stripe_hub, account: str) -> list[dict]:
    return [
        pi.to_dict()
        for pi in stripe_hub.client(stripe_account=account)
        .v1.payment_intents.list({"limit": 100})
        .data
    ]


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


# --- Payments charged in fakestripe -----------------------------------------------------


def fakestripe_account(fakestripe, portal) -> StripeAccount:
    """A verified connected account in fakestripe and the hub's READY row for it."""
    platform = fakestripe.client()
    account = platform.v1.accounts.create(
        {"type": "standard", "country": "US", "email": "owner@acme.test"},
        {"idempotency_key": str(uuid.uuid4())},
    )
    fakestripe.verify_account(account.id)
    # With `hub_webhooks`, deliveries run in the background: let them land before this
    # thread writes, as SQLite's shared test database takes one writer at a time.
    fakestripe.flush_webhooks()
    return StripeAccountFactory(portal=portal, stripe_id=account.id)


def paid_payment(fakestripe, account: StripeAccount, *, amount: int = 5_000, **fields) -> Payment:
    """A real charge with pm_card_visa on the connected account, recorded as a Payment."""
    client = fakestripe.client(account.stripe_id)
    intent = client.v1.payment_intents.create(
        {
            "amount": amount,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        },
        {"idempotency_key": str(uuid.uuid4())},
    )
    assert intent.status == "succeeded"
    charge = client.v1.charges.retrieve(intent.latest_charge)
    card = charge.payment_method_details.card
    fakestripe.flush_webhooks()
    values = {
        "amount": amount,
        "payment_intent_id": intent.id,
        "charge_id": charge.id,
        "card_brand": card.brand,
        "card_last4": card.last4,
    }
    values.update(fields)
    return PaymentFactory(portal=account.portal, account=account, **values)


def stripe_refunds(fakestripe, payment: Payment) -> list:
    client = fakestripe.client(payment.stripe_account_id)
    return client.v1.refunds.list({"charge": payment.charge_id, "limit": 100}).data


def refund(fakestripe, payment: Payment, amount: int) -> Refund:
    """A real Stripe refund and the hub's row for it, as payments/refunds.py records it."""
    client = fakestripe.client(payment.stripe_account_id)
    stripe_refund = client.v1.refunds.create(
        {"charge": payment.charge_id, "amount": amount}, {"idempotency_key": str(uuid.uuid4())}
    )
    Payment.objects.filter(pk=payment.pk).update(
        refunded_amount=payment.refunded_amount + amount,
        status=Payment.Status.PARTIALLY_REFUNDED,
    )
    payment.refunded_amount += amount
    return Refund.objects.create(
        portal=payment.portal,
        payment=payment,
        amount=amount,
        status=Refund.Status.SUCCEEDED,
        stripe_id=stripe_refund.id,
    )


# --- Fee sync ------------------------------------------------------------------------------


def stripe_fee(amount: int) -> int:
    """US card pricing, 2.9% + 30¢ rounded half up, computed independently of the code."""
    return round(amount * 0.029 + 1e-9) + 30


def seeded_account(fakestripe, portal, *, charges: int) -> tuple[StripeAccount, list[Payment]]:
    """A verified account with `charges` succeeded charges in fakestripe, each recorded
    as a hub Payment (bulk), newest first like Stripe lists them. `/_fake/seed` makes the
    charges quickly."""
    account = fakestripe_account(fakestripe, portal)
    fakestripe.control("seed", count=charges * 2, account=account.stripe_id)
    client = fakestripe.client(account.stripe_id)
    now = timezone.now()
    rows = []
    for charge in client.v1.charges.list({"limit": 100}).auto_paging_iter():
        rows.append(
            PaymentFactory.build(
                portal=portal,
                account=account,
                amount=charge.amount,
                payment_intent_id=charge.payment_intent,
                charge_id=charge.id,
                paid_at=now,
            )
        )
    assert len(rows) == charges
    return account, Payment.objects.bulk_create(rows)
