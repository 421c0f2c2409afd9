"""Test cards and their documented behaviour (docs.stripe.com/testing)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from ..errors import StripeError


@dataclass(frozen=True)
class Decline:
    code: str
    decline_code: str | None
    message: str


# docs.stripe.com/declines/codes: Stripe's own wording of each decline.
GENERIC = Decline("card_declined", "generic_decline", "Your card was declined.")
INSUFFICIENT = Decline("card_declined", "insufficient_funds", "Your card has insufficient funds.")
LOST = Decline("card_declined", "lost_card", "Your card was declined.")
STOLEN = Decline("card_declined", "stolen_card", "Your card was declined.")
EXPIRED = Decline("expired_card", "expired_card", "Your card has expired.")
CVC = Decline("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.")
PROCESSING = Decline(
    "processing_error",
    "processing_error",
    "An error occurred while processing your card. Try again in a little bit.",
)
AUTH_REQUIRED = Decline(
    "authentication_required",
    "authentication_required",
    "Your card was declined. This transaction requires authentication.",
)


@dataclass(frozen=True)
class Card:
    brand: str
    funding: str = "credit"
    country: str = "US"
    decline: Decline | None = None  # declined when charged
    decline_on_setup: bool = False  # also declined when attached / set up
    three_ds: str | None = None  # "setup": on-session (off-session once set up); "always"
    dispute: bool = False


# docs.stripe.com/testing: numbers and what they do.
CARDS: dict[str, Card] = {
    "4242424242424242": Card("visa"),
    "4000056655665556": Card("visa", funding="debit"),
    "5555555555554444": Card("mastercard"),
    "2223003122003222": Card("mastercard"),
    "5200828282828210": Card("mastercard", funding="debit"),
    "378282246310005": Card("amex"),
    "6011111111111117": Card("discover"),
    "4000000000000002": Card("visa", decline=GENERIC, decline_on_setup=True),
    "4000000000009995": Card("visa", decline=INSUFFICIENT),
    "4000000000009987": Card("visa", decline=LOST, decline_on_setup=True),
    "4000000000009979": Card("visa", decline=STOLEN, decline_on_setup=True),
    "4000000000000069": Card("visa", decline=EXPIRED, decline_on_setup=True),
    "4000000000000127": Card("visa", decline=CVC, decline_on_setup=True),
    "4000000000000119": Card("visa", decline=PROCESSING, decline_on_setup=True),
    "4000000000000341": Card("visa", decline=GENERIC),  # attaches, then every charge fails
    "4000002500003155": Card("visa", three_ds="setup"),
    "4000002760003184": Card("visa", three_ds="always"),
    "4000000000003220": Card("visa", three_ds="always"),
    "4000000000000259": Card("visa", dispute=True),
}

# docs.stripe.com/testing#cards: PaymentMethod ids usable in place of card numbers.
TOKENS: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_mastercard_debit": "5200828282828210",
    "pm_card_amex": "378282246310005",
    "pm_card_discover": "6011111111111117",
    "pm_card_us": "4242424242424242",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_threeDSecure2Required": "4000000000003220",
    "pm_card_createDispute": "4000000000000259",
}


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def brand_of(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in ("34", "37"):
        return "amex"
    if number[:2] in ("51", "52", "53", "54", "55") or (
        number[:4] >= "2221" and number[:4] <= "2720"
    ):
        return "mastercard"
    if number.startswith(("6011", "65")):
        return "discover"
    return "unknown"


def card_for(number: str) -> Card:
    """The documented behaviour of a number; any other valid number just succeeds."""
    card = CARDS.get(number)
    if card is not None:
        return card
    if not (number.isdigit() and 12 <= len(number) <= 19 and luhn_ok(number)):
        # docs.stripe.com/declines/codes: incorrect_number
        raise StripeError(
            402,
            "Your card number is incorrect.",
            type="card_error",
            code="incorrect_number",
            param="card[number]",
        )
    return Card(brand_of(number))


@lru_cache(maxsize=4096)
def fingerprint(number: str) -> str:
    return hashlib.sha256(number.encode()).hexdigest()[:16]
