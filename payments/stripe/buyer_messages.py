"""What a buyer reads when a card payment or a card setup fails: one table from Stripe's
codes to sentences written for the card holder, used on the server (the seam's
CardError, a failed attempt kept for the checkout page, the card-update page) and in the
browser (the hosted pages render the table as JSON for static/js/checkout.js and
static/js/subscription_card.js, which map Stripe.js's `error` the same way).

Stripe's own `message` is written for developers in places ("The provided PaymentMethod
has failed authentication. You can provide payment_method_data or a new PaymentMethod…"),
so it is never shown to a buyer. The lookup is the error's `decline_code`
(docs.stripe.com/declines/codes), then its `code` (docs.stripe.com/error-codes), then its
`type`, then a general sentence. Declines that must not tell a possible fraudster why
(lost, stolen, fraudulent, pick up card…) read like a plain decline, as Stripe advises.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

GENERIC = (
    "Your payment could not be completed. Nothing was charged. Please try again, "
    "or use another card."
)

_DECLINED = "Your card was declined. Please use another card, or contact your bank."
_CALL_BANK = "Your card was declined. Please contact your bank for details, or use another card."
_TRY_AGAIN = (
    "Your bank could not process the payment just now. Nothing was charged; "
    "please try again in a moment."
)
_NUMBER = "The card number is not valid. Check it and try again."
_EXPIRY = "The card's expiry date is not valid. Check it and try again."
_CVC = "The card's security code is not valid. Check the 3 or 4 digits and try again."
_ZIP = "The card's ZIP or postal code is not valid. Check it and try again."
_AUTHENTICATION = (
    "Your bank could not confirm it was you, so nothing was charged. Please try again "
    "and complete your bank's check, or use another card."
)
_NOT_SUPPORTED = "This card can't be used for this payment. Please use another card."

# decline_code and code → buyer text. Both namespaces share one table: where Stripe
# uses the same word for both (expired_card, incorrect_cvc…) it means the same thing.
MESSAGES: dict[str, str] = {
    # Declines (docs.stripe.com/declines/codes)
    "card_declined": _DECLINED,
    "generic_decline": _DECLINED,
    "do_not_honor": _DECLINED,
    "do_not_try_again": _CALL_BANK,
    "call_issuer": _CALL_BANK,
    "no_action_taken": _CALL_BANK,
    "not_permitted": _CALL_BANK,
    "restricted_card": _CALL_BANK,
    "revocation_of_all_authorizations": _CALL_BANK,
    "revocation_of_authorization": _CALL_BANK,
    "security_violation": _CALL_BANK,
    "service_not_allowed": _CALL_BANK,
    "stop_payment_order": _CALL_BANK,
    "transaction_not_allowed": _CALL_BANK,
    "invalid_account": _CALL_BANK,
    "new_account_information_available": _CALL_BANK,
    "lost_card": _DECLINED,
    "stolen_card": _DECLINED,
    "fraudulent": _DECLINED,
    "pickup_card": _DECLINED,
    "merchant_blacklist": _DECLINED,
    "testmode_decline": _DECLINED,
    "insufficient_funds": (
        "Your card has insufficient funds. Please use another card, or contact your bank."
    ),
    "card_velocity_exceeded": (
        "Your card has reached its limit. Please use another card, or contact your bank."
    ),
    "withdrawal_count_limit_exceeded": (
        "Your card has reached its limit. Please use another card, or contact your bank."
    ),
    "expired_card": "Your card has expired. Please use another card.",
    "incorrect_cvc": _CVC,
    "invalid_cvc": _CVC,
    "incorrect_number": _NUMBER,
    "invalid_number": _NUMBER,
    "incorrect_zip": _ZIP,
    "postal_code_invalid": _ZIP,
    "invalid_expiry_month": _EXPIRY,
    "invalid_expiry_year": _EXPIRY,
    "incorrect_pin": "The PIN was not correct. Please try again.",
    "invalid_pin": "The PIN was not correct. Please try again.",
    "pin_try_exceeded": (
        "Too many wrong PIN attempts. Please use another card, or contact your bank."
    ),
    "offline_pin_required": _NOT_SUPPORTED,
    "online_or_offline_pin_required": _NOT_SUPPORTED,
    "card_not_supported": _NOT_SUPPORTED,
    "currency_not_supported": _NOT_SUPPORTED,
    "payment_method_not_available": _NOT_SUPPORTED,
    "payment_method_unactivated": _NOT_SUPPORTED,
    "payment_method_provider_decline": _DECLINED,
    "approve_with_id": _TRY_AGAIN,
    "issuer_not_available": _TRY_AGAIN,
    "processing_error": _TRY_AGAIN,
    "reenter_transaction": _TRY_AGAIN,
    "try_again_later": _TRY_AGAIN,
    "duplicate_transaction": (
        "A payment of the same amount on this card went through moments ago. "
        "Check with the seller before paying again."
    ),
    "invalid_amount": "This amount can't be charged to your card. Please contact the seller.",
    # Authentication (3D Secure)
    "authentication_required": (
        "Your bank asks you to confirm this payment. Please try again and complete "
        "your bank's check, or use another card."
    ),
    "payment_intent_authentication_failure": _AUTHENTICATION,
    "setup_intent_authentication_failure": _AUTHENTICATION,
    # The payment itself (docs.stripe.com/error-codes)
    "payment_intent_payment_attempt_failed": GENERIC,
    "payment_intent_payment_attempt_expired": GENERIC,
    "payment_intent_unexpected_state": (
        "This payment was already completed or cancelled. Reload the page to see where "
        "it stands before paying again."
    ),
    "setup_intent_unexpected_state": (
        "This card form is no longer valid. Reload the page and try again."
    ),
    "amount_too_large": ("This amount is too large to pay by card. Please contact the seller."),
    "amount_too_small": "This amount is too small to pay by card. Please contact the seller.",
    # Stripe.js's checks of the card form (validation_error)
    "incomplete_number": "Enter the card number.",
    "incomplete_expiry": "Enter the card's expiry date.",
    "incomplete_cvc": "Enter the card's security code.",
    "incomplete_zip": "Enter the card's ZIP or postal code.",
    "invalid_expiry_month_past": "Your card has expired. Please use another card.",
    "invalid_expiry_year_past": "Your card has expired. Please use another card.",
}

# error.type → buyer text, when no code is known.
TYPES: dict[str, str] = {
    "card_error": _DECLINED,
    "validation_error": "Check the card details and try again.",
    "api_connection_error": (
        "We could not reach the payment processor. Nothing was charged; please check "
        "your connection and try again."
    ),
    "api_error": _TRY_AGAIN,
    "rate_limit_error": _TRY_AGAIN,
}


def buyer_message(
    *, code: str | None = None, decline_code: str | None = None, error_type: str | None = None
) -> str:
    """The sentence a buyer reads for a Stripe error (never Stripe's own message)."""
    for key in (decline_code, code):
        if key and key in MESSAGES:
            return MESSAGES[key]
    return TYPES.get(error_type or "", GENERIC)


def buyer_message_for(error: Mapping[str, Any] | None) -> str:
    """The same, for an error object as Stripe sends it (`last_payment_error`,
    `last_setup_error`, or an API error's `error`)."""
    error = error or {}
    return buyer_message(
        code=str(error.get("code") or ""),
        decline_code=str(error.get("decline_code") or ""),
        error_type=str(error.get("type") or ""),
    )


def browser_table() -> dict[str, Any]:
    """The table for the hosted pages' scripts (rendered with `json_script`)."""
    return {"codes": MESSAGES, "types": TYPES, "generic": GENERIC}
