"""The hosted checkout: freeze an order, take the card through a PaymentIntent on the
portal's connected account, complete exactly once.

Built once: payment links start it from their page (start.py); quotes and invoices
from theirs, with the order they priced (documents.py). What a checkout can pay for is
registered by the apps above payments (payables.py). The server computes every amount
(commerce/pricing.py) and charges exactly the frozen order's total; the browser only
chooses quantities within the seller's limits.

One PaymentIntent per checkout: its idempotency keys are derived from the checkout's
public id and the version of the frozen order, and the checkout row is locked while
the intent is created or changed, so a double-click, a reload or a second tab reuse the
same intent instead of making another.

Completion (`checkout_complete`) is idempotent and runs from whichever comes first: the
buyer's return to the page (the intent is re-fetched) or the payment_intent.succeeded
webhook.
"""

from payments.checkout.completion import (
    checkout_complete,
    checkout_record_failure,
    checkout_sync,
    fetch_intent,
    receipt_path,
)
from payments.checkout.documents import (
    Document,
    document_checkout_start,
    live_document_checkout,
    payable_checkout_start,
)
from payments.checkout.start import (
    LIVE_STATUSES,
    UNAVAILABLE_MESSAGES,
    Buyer,
    CheckoutError,
    IntentMismatch,
    LinkUnavailable,
    NotAcceptingPayments,
    application_fee,
    checkout_start,
    open_checkout_for_session,
    order_for_link,
    payable_link_page_key,
    public_link,
    ready_account_id,
)

__all__ = [
    "LIVE_STATUSES",
    "UNAVAILABLE_MESSAGES",
    "Buyer",
    "CheckoutError",
    "Document",
    "IntentMismatch",
    "LinkUnavailable",
    "NotAcceptingPayments",
    "application_fee",
    "checkout_complete",
    "checkout_record_failure",
    "checkout_start",
    "checkout_sync",
    "document_checkout_start",
    "fetch_intent",
    "live_document_checkout",
    "open_checkout_for_session",
    "order_for_link",
    "payable_checkout_start",
    "payable_link_page_key",
    "public_link",
    "ready_account_id",
    "receipt_path",
]
