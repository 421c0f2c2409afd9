"""The seam's core: exceptions, clients and the call wrapper with our retry policy."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

import requests
import stripe
from django.conf import settings

from payments.stripe.buyer_messages import buyer_message

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
    """The card was declined or needs authentication; `user_message` is written for the
    buyer (buyer_messages.py), `str()` keeps Stripe's message for the logs."""


class InvalidRequest(StripeServiceError):
    """Stripe refused the parameters: a bug or stale data on our side, not the user's fault."""


class AccountInvalid(StripeServiceError):
    """403 account_invalid: the connected account `account` is gone or no longer ours."""

    default_user_message = (
        "This portal's Stripe account is disconnected. A super admin needs to reconnect it."
    )

    def __init__(self, message: str, *, account: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.account = account


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


class _RequestsClient(stripe.RequestsClient):
    """Stripe's requests client with the environment read once, when the process first
    calls Stripe, instead of on every call: requests otherwise scans the environment
    twice per request for proxies and looks for a .netrc, about a sixth of a call's
    CPU (bench/billing.py). HTTPS_PROXY and NO_PROXY still apply to the API's host."""

    def __init__(self, *, timeout: float, base: str) -> None:
        environ = requests.utils.get_environ_proxies(base)
        proxies = {k: v for k, v in environ.items() if k in ("http", "https")}
        super().__init__(timeout=timeout, proxy=proxies or None)  # type: ignore[arg-type]

    def _request_internal(self, *args: Any, **kwargs: Any) -> Any:
        # The SDK keeps a session per thread: make it before the SDK does, told not to
        # read the environment again.
        if getattr(self._thread_local, "session", None) is None:
            session = requests.Session()
            session.trust_env = False
            self._thread_local.session = session
        return super()._request_internal(*args, **kwargs)


def _shared_http_client() -> stripe.HTTPClient:
    global _http_client
    if _http_client is None:
        # One keep-alive connection pool for the process; a session per thread.
        _http_client = _RequestsClient(
            timeout=settings.STRIPE_TIMEOUT_SECONDS,
            base=settings.STRIPE_API_BASE or stripe.DEFAULT_API_BASE,
        )
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
        decline_code = getattr(error, "decline_code", None)
        return CardError(
            str(exc.user_message or exc),
            # Stripe's messages are sometimes written for developers: buyers get ours.
            user_message=buyer_message(
                code=code, decline_code=decline_code, error_type="card_error"
            ),
            decline_code=decline_code,
            payment_intent=_plain(pi) if pi is not None else None,
            **common,
        )
    if code == "account_invalid" or (
        isinstance(exc, stripe.PermissionError) and account and status == 403
    ):
        return AccountInvalid(
            f"account {account} is invalid: {exc.user_message}", account=account, **common
        )
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


def _write(
    operation: str,
    fn: Callable[[stripe.StripeClient, dict[str, Any]], Any],
    *,
    idempotency_key: str,
    account: str | None = None,
) -> Any:
    """A write: `fn(client, options)` must pass `options` (the idempotency key) to the
    SDK call. Every retry re-sends the same key, so Stripe applies the write once."""
    if not idempotency_key or not idempotency_key.strip():
        raise ValueError(f"Stripe write {operation} needs an idempotency key")
    options = {"idempotency_key": idempotency_key}
    return _call(operation, lambda client: fn(client, options), account=account)


def _call(
    operation: str,
    fn: Callable[[stripe.StripeClient], Any],
    *,
    account: str | None = None,
) -> Any:
    """Runs `fn(client)` with our retry policy; returns plain data or raises ours.
    Reads call it directly; writes go through `_write`."""
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
                _tell_account_invalid(account)
            raise error from None
        log.debug("stripe %s account=%s ok", operation, account or "platform")
        return _plain(result)


# --- Who hears of an invalid account ------------------------------------------------

# Any call answered 403 account_invalid marks the portal Disconnected (STRIPE.md). The
# seam only raises: the payments layer registers what to do (PaymentsConfig.ready()).
_account_invalid_hooks: list[Callable[[str], None]] = []


def on_account_invalid(hook: Callable[[str], None]) -> None:
    """Registers `hook(account_id)`, called when a call on a connected account is
    answered 403 account_invalid, just before AccountInvalid is raised. It runs inside
    the caller's transaction, which may still roll back: a hook enqueues, it does not
    write through the caller's connection."""
    if hook not in _account_invalid_hooks:
        _account_invalid_hooks.append(hook)


def _tell_account_invalid(account: str) -> None:
    for hook in list(_account_invalid_hooks):
        try:
            hook(account)
        except Exception:
            # The caller must still get Stripe's answer, not the hook's failure.
            log.exception("account_invalid hook %r failed for %s", hook, account)
