"""Fixtures and helpers shared by the checkout tests (imported, not collected as tests)."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from commerce.catalog.models import BillingFrequency
from payments.connect import services as accounts
from payments.connect.status import AccountStatus
from payments.links.services import LineSpec, payment_link_create
from payments.models import Checkout, PaymentLink, StripeAccount
from tests.factories import ProductFactory


@pytest.fixture
def ready_account(stripe_hub, portal, super_admin) -> StripeAccount:
    """The portal's connected account in fakestripe, verified: Ready to transact."""
    accounts.onboarding_start(
        portal=portal,
        user=super_admin,
        ip="203.0.113.9",
        confirmed_us=True,
        accepted_terms=True,
        return_url="http://hub.test/r/",
        refresh_url="http://hub.test/f/",
    )
    account = StripeAccount.objects.get(portal=portal)
    stripe_hub.verify_account(account.stripe_id)
    account = accounts.account_refresh(account=account)
    assert account.status == AccountStatus.READY
    return account


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
