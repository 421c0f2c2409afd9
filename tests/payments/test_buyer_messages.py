"""Buyers read sentences written for them for every decline and error: every code
fakestripe can produce (read from its source, so a new one is caught) maps to buyer text
with no Stripe developer phrasing, through the real SDK as through the hosted pages."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from fakestripe.resources import cards
from fakestripe.resources.payment_intents import AUTH_FAILURE
from fakestripe.resources.setup_intents import SETUP_AUTH_FAILURE
from payments.stripe import CardError
from payments.stripe.buyer_messages import GENERIC, MESSAGES, TYPES, buyer_message
from payments.stripe.core import _translate

FAKESTRIPE = Path(__file__).resolve().parents[2] / "fakestripe"

# Codes fakestripe answers to the hub's server-side calls only (parameters, ids, keys,
# accounts, refunds, rate limits): no buyer's card is involved, so the general sentence
# is what a buyer would read should one ever reach a page.
SERVER_ONLY = {
    "account_invalid",
    "api_key_invalid",
    "charge_already_refunded",
    "charge_disputed",
    "charge_not_refundable",
    "idempotency_key_in_use",
    "lock_timeout",
    "parameter_invalid_integer",
    "parameter_missing",
    "parameter_unknown",
    "payment_method_unexpected_state",
    "rate_limit",
    "resource_missing",
    "url_invalid",
}
# Developer words: Stripe's objects, parameters, snake_case, or Stripe itself.
DEVELOPER = re.compile(
    r"PaymentIntent|PaymentMethod|SetupIntent|payment_method|param|_|\bAPI\b|[Ss]tripe|intent"
)


def fakestripe_codes() -> set[str]:
    """Every `code` fakestripe's server and its Stripe.js stand-in can answer."""
    found: set[str] = set()
    patterns = (
        r'code="([a-z_]+)"',
        r'"code": "([a-z_]+)"',
        r'\bcode: "([a-z_]+)"',
        r'Decline\(\s*"([a-z_]+)",\s*"([a-z_]+)"',
    )
    for path in [*FAKESTRIPE.rglob("*.py"), *FAKESTRIPE.rglob("*.js")]:
        source = path.read_text()
        for pattern in patterns:
            for match in re.findall(pattern, source):
                found.update(match if isinstance(match, tuple) else (match,))
    return found


def fakestripe_types() -> set[str]:
    found: set[str] = set()
    for path in [*FAKESTRIPE.rglob("*.py"), *FAKESTRIPE.rglob("*.js")]:
        source = path.read_text()
        found.update(re.findall(r'\btype[=:] ?"([a-z_]+_error)"', source))
        found.update(re.findall(r'"type": "([a-z_]+_error)"', source))
    return found


def test_the_scan_finds_what_fakestripe_is_known_to_produce():
    codes = fakestripe_codes()
    assert {
        "insufficient_funds",
        "payment_intent_authentication_failure",
        "incomplete_cvc",
    } <= codes
    assert {"card_error", "validation_error", "api_connection_error"} <= fakestripe_types()


@pytest.mark.parametrize("code", sorted(fakestripe_codes()))
def test_every_code_fakestripe_can_produce_reads_as_buyer_text(code):
    message = buyer_message(code=code)
    assert not DEVELOPER.search(message), message
    if code in SERVER_ONLY:
        return
    assert code in MESSAGES, f"write the buyer's sentence for {code!r} in buyer_messages.py"
    assert message != GENERIC


@pytest.mark.parametrize("error_type", sorted(fakestripe_types()))
def test_every_error_type_reads_as_buyer_text(error_type):
    message = buyer_message(error_type=error_type)
    assert not DEVELOPER.search(message)


def test_every_sentence_of_the_table_is_buyer_text():
    for text in [*MESSAGES.values(), *TYPES.values(), GENERIC]:
        assert not DEVELOPER.search(text), text
        assert text.endswith(".") and text[0].isupper()


@pytest.mark.parametrize(
    "decline", [v for v in vars(cards).values() if isinstance(v, cards.Decline)], ids=str
)
def test_each_test_card_decline_maps_by_its_decline_code_first(decline):
    message = buyer_message(code=decline.code, decline_code=decline.decline_code)
    assert message == MESSAGES[decline.decline_code or decline.code]


def test_stripes_developer_messages_are_never_the_buyers():
    for code, stripes in (
        ("payment_intent_authentication_failure", AUTH_FAILURE),
        ("setup_intent_authentication_failure", SETUP_AUTH_FAILURE),
    ):
        assert buyer_message(code=code) != stripes
        assert "could not confirm it was you" in buyer_message(code=code)


# --- Through the real SDK, against fakestripe ------------------------------------------


@pytest.mark.parametrize(
    ("payment_method", "code"),
    [
        ("pm_card_chargeDeclined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card"),
        ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc"),
        ("pm_card_chargeDeclinedProcessingError", "processing_error"),
        ("pm_card_chargeDeclinedLostCard", "lost_card"),
    ],
)
def test_the_seams_card_errors_carry_the_buyers_sentence(fakestripe, payment_method, code):
    import stripe

    client = fakestripe.client()
    with pytest.raises(stripe.CardError) as raised:
        client.v1.payment_intents.create(
            {
                "amount": 1_000,
                "currency": "usd",
                "payment_method": payment_method,
                "confirm": True,
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            }
        )
    error = _translate(raised.value, None)
    assert isinstance(error, CardError)
    assert error.user_message == MESSAGES[code]
    assert error.decline_code == code


@pytest.mark.django_db
def test_the_card_step_carries_the_table_for_the_browser(stripe_hub, ready_account, portal):
    from django.test import Client

    from tests.payments.support import make_link, start_checkout

    buyer = Client()
    link = make_link(portal)
    start_checkout(buyer, link)
    page = buyer.get(f"/pay/{link.slug}/").content.decode()
    data = re.search(
        r'<script id="buyer-messages" type="application/json">(.*?)</script>', page, re.S
    )
    assert data, "the card step has no buyer-messages table"
    table = json.loads(html.unescape(data.group(1)))
    assert table["codes"] == MESSAGES and table["generic"] == GENERIC
