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
  show a person, and return plain dicts so no Stripe type leaks into the apps.

Secret keys are never logged: only the operation, the account and the outcome are.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import stripe
from django.conf import settings

log = logging.getLogger("commerce.stripe")

# The version the pinned SDK sends; webhook endpoints and fakestripe use the same one.
API_VERSION: str = stripe.api_version
WEBHOOK_TOLERANCE_SECONDS = 300

_http_client: stripe.HTTPClient | None = None


# --- Exceptions -----------------------------------------------------------------


class StripeServiceError(Exception):
    """A Stripe call failed. `user_message` may be shown to a person; `str()` is for logs."""

    default_user_message = (
        "Our payment processor could not complete this request. Nothing was charged."
    )

    def __init__(
        self,
        message: str,
        *,
        user_message: str | None = None,
        code: str | None = None,
        http_status: int | None = None,
        decline_code: str | None = None,
        param: str | None = None,
        payment_intent: dict | None = None,
        request_id: str | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.user_message = user_message or self.default_user_message
        self.code = code
        self.http_status = http_status
        self.decline_code = decline_code
        self.param = param
        self.payment_intent = payment_intent
        self.request_id = request_id
        self.retryable = retryable


class CardError(StripeServiceError):
    """The card was declined or needs authentication; Stripe's message is meant for the buyer."""


class InvalidRequest(StripeServiceError):
    """Stripe refused the parameters: a bug or stale data on our side, not the user's fault."""


class AccountInvalid(StripeServiceError):
    """403 account_invalid: the connected account is gone or no longer ours."""

    default_user_message = (
        "This portal's Stripe account is disconnected. A super admin needs to reconnect it."
    )


class StripeUnavailable(StripeServiceError):
    """Stripe did not answer usefully after our retries (rate limits, 5xx, network)."""

    default_user_message = "Our payment processor is not answering right now. Nothing was charged; please try again in a minute."


class StripeConfigError(StripeServiceError):
    """Our keys are missing or wrong (401/403 other than account_invalid)."""

    default_user_message = (
        "Payments are not configured correctly on this hub. Please tell your administrator."
    )


class SignatureError(Exception):
    """A webhook whose signature, timestamp or body cannot be trusted."""


# --- Clients and the call wrapper -------------------------------------------------


def is_live() -> bool:
    return settings.STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))


def publishable_key() -> str:
    return settings.STRIPE_PUBLISHABLE_KEY


def _shared_http_client() -> stripe.HTTPClient:
    global _http_client
    if _http_client is None:
        # One keep-alive connection pool for the process; the SDK keeps a session per thread.
        _http_client = stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS)
    return _http_client


def _client(account: str | None = None) -> stripe.StripeClient:
    if not settings.STRIPE_SECRET_KEY:
        raise StripeConfigError("STRIPE_SECRET_KEY is not set")
    base = settings.STRIPE_API_BASE
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        stripe_account=account,
        stripe_version=API_VERSION,
        # Retries are ours (below): they cover 429s too and are the same for every call.
        max_network_retries=0,
        http_client=_shared_http_client(),
        base_addresses={"api": base, "connect": base, "files": base} if base else None,
    )


def _options(idempotency_key: str | None) -> dict[str, Any]:
    return {"idempotency_key": idempotency_key} if idempotency_key else {}


def _plain(obj: Any) -> Any:
    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict()
    return obj


def _backoff(attempt: int) -> float:
    cap = settings.STRIPE_RETRY_MAX_SECONDS
    return random.uniform(0, min(cap, settings.STRIPE_RETRY_BASE_SECONDS * (2**attempt)))


def _translate(exc: stripe.StripeError, account: str | None) -> StripeServiceError:
    error = exc.error
    code = getattr(error, "code", None) or exc.code
    status = exc.http_status
    should_retry = (exc.headers or {}).get("stripe-should-retry")
    common: dict[str, Any] = {
        "code": code,
        "http_status": status,
        "request_id": exc.request_id,
        "param": getattr(error, "param", None),
    }
    if isinstance(exc, stripe.CardError):
        pi = getattr(error, "payment_intent", None)
        return CardError(
            str(exc.user_message or exc),
            # Stripe's card messages are written for the card holder.
            user_message=exc.user_message or "Your card was declined.",
            decline_code=getattr(error, "decline_code", None),
            payment_intent=_plain(pi) if pi is not None else None,
            **common,
        )
    if code == "account_invalid" or (
        isinstance(exc, stripe.PermissionError) and account and status == 403
    ):
        return AccountInvalid(f"account {account} is invalid: {exc.user_message}", **common)
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return StripeConfigError(f"Stripe refused our credentials ({status})", **common)
    retryable = isinstance(exc, stripe.RateLimitError | stripe.APIConnectionError) or (
        status is not None and (status >= 500 or status == 409)
    )
    if should_retry == "false":
        retryable = False
    elif should_retry == "true":
        retryable = True
    if retryable:
        return StripeUnavailable(
            f"Stripe unavailable ({status}, {code}): {exc.user_message}", retryable=True, **common
        )
    return InvalidRequest(
        f"Stripe refused the request ({status}, {code}): {exc.user_message}", **common
    )


def _call(
    operation: str,
    fn: Callable[[stripe.StripeClient], Any],
    *,
    account: str | None = None,
    idempotency_key: str | None = None,
    write: bool = False,
) -> Any:
    """Runs `fn(client)` with our retry policy; returns plain data or raises ours."""
    if write and not idempotency_key:
        raise ValueError(f"Stripe write {operation} needs an idempotency key")
    client = _client(account)
    attempt = 0
    while True:
        try:
            result = fn(client)
        except stripe.StripeError as exc:
            error = _translate(exc, account)
            if error.retryable and attempt < settings.STRIPE_MAX_RETRIES:
                delay = _backoff(attempt)
                log.warning(
                    "stripe %s account=%s failed (%s %s), retry %d in %.2fs",
                    operation,
                    account or "platform",
                    error.http_status,
                    error.code,
                    attempt + 1,
                    delay,
                )
                time.sleep(delay)
                attempt += 1
                continue
            log.warning(
                "stripe %s account=%s failed: %s %s",
                operation,
                account or "platform",
                error.http_status,
                error.code,
            )
            if isinstance(error, AccountInvalid) and account:
                _note_account_invalid(account)
            raise error from None
        log.debug("stripe %s account=%s ok", operation, account or "platform")
        return _plain(result)


def _note_account_invalid(account: str) -> None:
    # Any call answered 403 account_invalid marks the portal Disconnected (STRIPE.md).
    from payments.accounts import account_mark_disconnected_by_stripe

    account_mark_disconnected_by_stripe(stripe_id=account, reason="Stripe answered account_invalid")


# --- Connect: accounts and onboarding links ---------------------------------------


def account_create(
    *, email: str, business_name: str, portal_ref: str, idempotency_key: str
) -> dict:
    """A connected account with Stripe's full dashboard: the Standard-account equivalent
    expressed with controller properties (docs.stripe.com/connect/standard-accounts)."""
    params = {
        "country": "US",
        "email": email,
        "business_profile": {"name": business_name},
        "controller": {
            "stripe_dashboard": {"type": "full"},
            "fees": {"payer": "account"},
            "losses": {"payments": "stripe"},
            "requirement_collection": "stripe",
        },
        "metadata": {"portal": portal_ref},
    }
    return _call(
        "accounts.create",
        lambda c: c.v1.accounts.create(params, _options(idempotency_key)),  # type: ignore[arg-type]
        idempotency_key=idempotency_key,
        write=True,
    )


def account_retrieve(account_id: str) -> dict:
    return _call(
        "accounts.retrieve", lambda c: c.v1.accounts.retrieve(account_id), account=account_id
    )


def account_link_create(
    *, account_id: str, refresh_url: str, return_url: str, idempotency_key: str
) -> dict:
    params = {
        "account": account_id,
        "type": "account_onboarding",
        "refresh_url": refresh_url,
        "return_url": return_url,
    }
    return _call(
        "account_links.create",
        lambda c: c.v1.account_links.create(params, _options(idempotency_key)),  # type: ignore[arg-type]
        idempotency_key=idempotency_key,
        write=True,
    )


# --- Events and webhooks -----------------------------------------------------------


def events_list(*, account: str | None, created_gte: int, page_size: int = 100) -> Iterator[dict]:
    """Every event since `created_gte`, newest first, paging 100 at a time."""
    starting_after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": page_size, "created": {"gte": created_gte}}
        if starting_after:
            params["starting_after"] = starting_after
        page = _call(
            "events.list",
            lambda c, p=params: c.v1.events.list(p),  # type: ignore[misc]
            account=account,
        )
        yield from page["data"]
        if not page.get("has_more") or not page["data"]:
            return
        starting_after = page["data"][-1]["id"]


def webhook_verify(payload: bytes, signature_header: str | None, secrets: list[str]) -> dict:
    """Checks `Stripe-Signature` against any of our endpoint secrets (HMAC-SHA256 of
    "{t}.{body}", constant-time compare, 300 s tolerance; docs.stripe.com/webhooks) and
    returns the event as a dict."""
    if not signature_header:
        raise SignatureError("missing Stripe-Signature header")
    if not secrets:
        raise SignatureError("no webhook secret configured")
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"),
                signature_header,
                secret,
                tolerance=WEBHOOK_TOLERANCE_SECONDS,
            )
            break
        except stripe.SignatureVerificationError:
            continue
        except UnicodeDecodeError:
            raise SignatureError("body is not UTF-8") from None
    else:
        raise SignatureError("no valid signature for our secrets, or the timestamp is too old")
    try:
        event = json.loads(payload)
    except ValueError:
        raise SignatureError("body is not JSON") from None
    if (
        not isinstance(event, dict)
        or not isinstance(event.get("id"), str)
        or not isinstance(event.get("type"), str)
    ):
        raise SignatureError("body is not a Stripe event")
    return event


# --- Customers, PaymentMethods and PaymentIntents (checkout) -------------------------


def customer_create(
    *,
    account: str,
    email: str,
    name: str = "",
    phone: str = "",
    address: dict | None = None,
    metadata: dict[str, str] | None = None,
    idempotency_key: str,
) -> dict:
    """A Customer on the connected account (direct charges keep customers there)."""
    params: dict[str, Any] = {"email": email, "metadata": metadata or {}}
    if name:
        params["name"] = name
    if phone:
        params["phone"] = phone
    if address:
        params["address"] = address
    return _call(
        "customers.create",
        lambda c: c.v1.customers.create(params, _options(idempotency_key)),  # type: ignore[arg-type]
        account=account,
        idempotency_key=idempotency_key,
        write=True,
    )


def payment_intent_create(
    *,
    account: str,
    amount: int,
    currency: str,
    customer: str | None,
    description: str,
    metadata: dict[str, str],
    setup_future_usage: bool,
    application_fee_amount: int = 0,
    receipt_email: str = "",
    idempotency_key: str,
) -> dict:
    """A PaymentIntent on the connected account for the hosted checkout.

    Cards (and wallets) only, no redirect-based methods, so the page completes in place;
    `setup_future_usage=off_session` saves the card for later periods of subscriptions
    (docs.stripe.com/payments/save-during-payment)."""
    params: dict[str, Any] = {
        "amount": amount,
        "currency": currency,
        "description": description,
        "metadata": metadata,
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
    }
    if customer:
        params["customer"] = customer
    if setup_future_usage:
        params["setup_future_usage"] = "off_session"
    if application_fee_amount:
        params["application_fee_amount"] = application_fee_amount
    if receipt_email:
        params["receipt_email"] = receipt_email
    return _call(
        "payment_intents.create",
        lambda c: c.v1.payment_intents.create(params, _options(idempotency_key)),  # type: ignore[arg-type]
        account=account,
        idempotency_key=idempotency_key,
        write=True,
    )


def payment_intent_update(
    *,
    account: str,
    payment_intent_id: str,
    amount: int,
    customer: str | None,
    application_fee_amount: int = 0,
    receipt_email: str = "",
    idempotency_key: str,
) -> dict:
    """Changes the amount of an unconfirmed PaymentIntent (the buyer changed quantities)."""
    params: dict[str, Any] = {"amount": amount}
    if customer:
        params["customer"] = customer
    if application_fee_amount:
        params["application_fee_amount"] = application_fee_amount
    if receipt_email:
        params["receipt_email"] = receipt_email
    return _call(
        "payment_intents.update",
        lambda c: c.v1.payment_intents.update(
            payment_intent_id,
            params,  # type: ignore[arg-type]
            _options(idempotency_key),  # type: ignore[arg-type]
        ),
        account=account,
        idempotency_key=idempotency_key,
        write=True,
    )


def payment_intent_retrieve(
    *, account: str, payment_intent_id: str, expand_charge: bool = False
) -> dict:
    """The PaymentIntent; with `expand_charge`, `latest_charge` is the charge object
    (card brand and last4 are in its payment_method_details)."""
    params: dict[str, Any] = {"expand": ["latest_charge"]} if expand_charge else {}
    return _call(
        "payment_intents.retrieve",
        lambda c: c.v1.payment_intents.retrieve(payment_intent_id, params),  # type: ignore[arg-type]
        account=account,
    )


def payment_intent_cancel(*, account: str, payment_intent_id: str, idempotency_key: str) -> dict:
    params = {"cancellation_reason": "abandoned"}
    return _call(
        "payment_intents.cancel",
        lambda c: c.v1.payment_intents.cancel(
            payment_intent_id,
            params,  # type: ignore[arg-type]
            _options(idempotency_key),  # type: ignore[arg-type]
        ),
        account=account,
        idempotency_key=idempotency_key,
        write=True,
    )


# --- Charges, refunds and disputes (payments tool) -----------------------------------


def charge_retrieve(*, account: str, charge_id: str) -> dict:
    """A charge on the connected account; `amount_refunded` is Stripe's running total."""
    return _call("charges.retrieve", lambda c: c.v1.charges.retrieve(charge_id), account=account)


def refund_create(
    *,
    account: str,
    charge: str | None = None,
    payment_intent: str | None = None,
    amount: int,
    reason: str | None,
    metadata: dict[str, str],
    idempotency_key: str,
) -> dict:
    """Refunds `amount` cents of a charge (or of a PaymentIntent's charge) on the
    connected account. Stripe refuses more than the unrefunded amount
    (docs.stripe.com/api/refunds/create); the same key returns the same refund."""
    if not (charge or payment_intent):
        raise ValueError("refund_create needs a charge or a payment_intent")
    params: dict[str, Any] = {"amount": amount, "metadata": metadata}
    if charge:
        params["charge"] = charge
    else:
        params["payment_intent"] = payment_intent
    if reason:
        params["reason"] = reason
    return _call(
        "refunds.create",
        lambda c: c.v1.refunds.create(params, _options(idempotency_key)),  # type: ignore[arg-type]
        account=account,
        idempotency_key=idempotency_key,
        write=True,
    )


def refunds_for_charge(*, account: str, charge_id: str) -> list[dict]:
    """Every refund of a charge, newest first (paging 100 at a time)."""
    refunds: list[dict] = []
    starting_after: str | None = None
    while True:
        params: dict[str, Any] = {"charge": charge_id, "limit": 100}
        if starting_after:
            params["starting_after"] = starting_after
        page = _call(
            "refunds.list",
            lambda c, p=params: c.v1.refunds.list(p),  # type: ignore[misc]
            account=account,
        )
        refunds.extend(page["data"])
        if not page.get("has_more") or not page["data"]:
            return refunds
        starting_after = page["data"][-1]["id"]


def dispute_retrieve(*, account: str, dispute_id: str) -> dict:
    return _call("disputes.retrieve", lambda c: c.v1.disputes.retrieve(dispute_id), account=account)


# --- Off-session charges and SetupIntents (subscription billing) ---------------------


def payment_intent_charge_off_session(
    *,
    account: str,
    amount: int,
    currency: str,
    customer: str,
    payment_method: str,
    description: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> dict:
    """Charges a saved card while the buyer is away: one confirmed PaymentIntent
    (`off_session=true, confirm=true`, docs.stripe.com/payments/save-and-reuse).

    A decline or `authentication_required` raises CardError carrying `decline_code` and
    the failed `payment_intent`. The same key within 24 h returns the same intent (or the
    same error), which is what makes a re-sent billing attempt safe."""
    params: dict[str, Any] = {
        "amount": amount,
        "currency": currency,
        "customer": customer,
        "payment_method": payment_method,
        "off_session": True,
        "confirm": True,
        "description": description,
        "metadata": metadata,
        # Cards only, as at checkout: if the bank asks for authentication, the buyer
        # confirms this same intent in place on the hub's page (no redirect methods).
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        # The charge's card brand and last4 for the Payment, without a second request.
        "expand": ["latest_charge"],
    }
    return _call(
        "payment_intents.create_off_session",
        lambda c: c.v1.payment_intents.create(params, _options(idempotency_key)),  # type: ignore[arg-type]
        account=account,
        idempotency_key=idempotency_key,
        write=True,
    )


def payment_intents_for_customer(
    *, account: str, customer: str, created_gte: int | None = None
) -> Iterator[dict]:
    """Every PaymentIntent of a customer on the connected account, newest first.

    Used to find an intent by its metadata once its idempotency key has expired (24 h);
    fakestripe has no Search API, so callers list and filter instead of searching."""
    starting_after: str | None = None
    while True:
        params: dict[str, Any] = {"customer": customer, "limit": 100}
        if created_gte is not None:
            params["created"] = {"gte": created_gte}
        if starting_after:
            params["starting_after"] = starting_after
        page = _call(
            "payment_intents.list",
            lambda c, p=params: c.v1.payment_intents.list(p),  # type: ignore[misc]
            account=account,
        )
        yield from page["data"]
        if not page.get("has_more") or not page["data"]:
            return
        starting_after = page["data"][-1]["id"]


def setup_intent_create(
    *, account: str, customer: str, metadata: dict[str, str], idempotency_key: str
) -> dict:
    """A SetupIntent that saves a new card for off-session use (card update page)."""
    params: dict[str, Any] = {
        "customer": customer,
        "usage": "off_session",
        "metadata": metadata,
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
    }
    return _call(
        "setup_intents.create",
        lambda c: c.v1.setup_intents.create(params, _options(idempotency_key)),  # type: ignore[arg-type]
        account=account,
        idempotency_key=idempotency_key,
        write=True,
    )


def customer_cards(*, account: str, customer: str) -> list[dict]:
    """The cards saved on a customer of the connected account (first 100, newest first)."""
    page = _call(
        "customers.payment_methods.list",
        lambda c: c.v1.customers.payment_methods.list(customer, {"limit": 100}),  # type: ignore[arg-type]
        account=account,
    )
    return [pm for pm in page["data"] if pm.get("type") == "card"]


def setup_intent_retrieve(*, account: str, setup_intent_id: str) -> dict:
    return _call(
        "setup_intents.retrieve",
        lambda c: c.v1.setup_intents.retrieve(setup_intent_id),
        account=account,
    )


# --- Balance transactions (fee sync) ---------------------------------------------------


def balance_transactions_list(
    *,
    account: str,
    created_gte: int | None = None,
    starting_after: str | None = None,
    limit: int = 100,
) -> dict:
    """One page of the connected account's balance transactions, newest first
    (docs.stripe.com/api/balance_transactions/list). Returns `{"data", "has_more"}`; the
    caller pages with `starting_after` so it can save its place after every page."""
    params: dict[str, Any] = {"limit": limit}
    if created_gte is not None:
        params["created"] = {"gte": created_gte}
    if starting_after:
        params["starting_after"] = starting_after
    # A raw request answers parsed JSON: fee sync reads thousands of transactions, and
    # building a StripeObject per transaction (then a dict again) costs more than the
    # request. Errors still raise the SDK's exceptions, translated by `_call`.
    page = _call(
        "balance_transactions.list",
        lambda c: c.raw_request("get", "/v1/balance_transactions", **params).data,
        account=account,
    )
    return {"data": page["data"], "has_more": bool(page.get("has_more"))}


def charge_retrieve_with_balance(*, account: str, charge_id: str) -> dict:
    """A charge with its balance transaction expanded (fee repair)."""
    params = {"expand": ["balance_transaction"]}
    return _call(
        "charges.retrieve",
        lambda c: c.v1.charges.retrieve(charge_id, params),  # type: ignore[arg-type]
        account=account,
    )


def refunds_with_balance(*, account: str, charge_id: str) -> list[dict]:
    """Every refund of a charge with its balance transaction expanded (fee repair)."""
    refunds: list[dict] = []
    starting_after: str | None = None
    while True:
        params: dict[str, Any] = {
            "charge": charge_id,
            "limit": 100,
            "expand": ["data.balance_transaction"],
        }
        if starting_after:
            params["starting_after"] = starting_after
        page = _call(
            "refunds.list",
            lambda c, p=params: c.v1.refunds.list(p),  # type: ignore[misc]
            account=account,
        )
        refunds.extend(page["data"])
        if not page.get("has_more") or not page["data"]:
            return refunds
        starting_after = page["data"][-1]["id"]
