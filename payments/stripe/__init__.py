"""The Stripe seam: the only module of the hub that imports `stripe`.

Everything that talks to Stripe goes through the functions below. They
- build a client per call, for the platform or for a connected account
  (`Stripe-Account` header: direct charges live on the seller's account),
- pin one API version (the one the pinned SDK speaks, which fakestripe speaks too),
- point at STRIPE_API_BASE when it is set (fakestripe), and nowhere else,
- refuse a write without an idempotency key, and re-send the same key when they retry
  (docs.stripe.com/api/idempotent_requests),
- retry 429 (rate_limit, lock_timeout), 409 (a concurrent request with the same key),
  5xx and connection errors with exponential backoff and full jitter
  (docs.stripe.com/rate-limits: "back off 1 s, 2 s, 4 s… and keep the idempotency key"),
- turn `stripe.StripeError` into the exceptions below, whose `user_message` is safe to
  show a person, and return plain dicts so no Stripe type leaks into the apps,
- only raise, never write: a call answered 403 account_invalid raises AccountInvalid
  (with the account id) and tells the hooks registered with `on_account_invalid`,
- keep background work within its `RequestBudget` (budget.py), the one rate limiter.

Secret keys are never logged: only the operation, the account and the outcome are.
"""

from payments.stripe.billing import (
    customer_cards,
    payment_intent_charge_off_session,
    payment_intents_for_customer,
    setup_intent_create,
    setup_intent_retrieve,
)
from payments.stripe.budget import RequestBudget
from payments.stripe.buyer_messages import buyer_message, buyer_message_for
from payments.stripe.charges import (
    charge_retrieve,
    dispute_retrieve,
    refund_create,
    refunds_for_charge,
)
from payments.stripe.checkout import (
    customer_create,
    payment_intent_cancel,
    payment_intent_create,
    payment_intent_retrieve,
    payment_intent_update,
)
from payments.stripe.connect import (
    account_create,
    account_link_create,
    account_retrieve,
    events_list,
    webhook_verify,
)
from payments.stripe.core import (
    API_VERSION,
    WEBHOOK_TOLERANCE_SECONDS,
    AccountInvalid,
    CardError,
    InvalidRequest,
    SignatureError,
    StripeConfigError,
    StripeServiceError,
    StripeUnavailable,
    is_live,
    on_account_invalid,
    publishable_key,
)
from payments.stripe.fees import (
    balance_transactions_list,
    charge_retrieve_with_balance,
    refunds_with_balance,
)
from payments.stripe.payouts import (
    payout_balance_transactions,
    payout_retrieve,
    payouts_list,
)

__all__ = [
    "API_VERSION",
    "WEBHOOK_TOLERANCE_SECONDS",
    "AccountInvalid",
    "CardError",
    "InvalidRequest",
    "RequestBudget",
    "SignatureError",
    "StripeConfigError",
    "StripeServiceError",
    "StripeUnavailable",
    "account_create",
    "account_link_create",
    "account_retrieve",
    "balance_transactions_list",
    "buyer_message",
    "buyer_message_for",
    "charge_retrieve",
    "charge_retrieve_with_balance",
    "customer_cards",
    "customer_create",
    "dispute_retrieve",
    "events_list",
    "is_live",
    "on_account_invalid",
    "payment_intent_cancel",
    "payment_intent_charge_off_session",
    "payment_intent_create",
    "payment_intent_retrieve",
    "payment_intent_update",
    "payment_intents_for_customer",
    "payout_balance_transactions",
    "payout_retrieve",
    "payouts_list",
    "publishable_key",
    "refund_create",
    "refunds_for_charge",
    "refunds_with_balance",
    "setup_intent_create",
    "setup_intent_retrieve",
    "webhook_verify",
]
