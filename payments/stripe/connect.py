"""Connect accounts, onboarding links, events and webhook signatures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import stripe

from payments.stripe.core import WEBHOOK_TOLERANCE_SECONDS, SignatureError, _call, _write

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
    return _write(
        "accounts.create",
        lambda c, o: c.v1.accounts.create(params, o),  # type: ignore[arg-type]
        idempotency_key=idempotency_key,
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
    return _write(
        "account_links.create",
        lambda c, o: c.v1.account_links.create(params, o),  # type: ignore[arg-type]
        idempotency_key=idempotency_key,
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
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python parses
        raise SignatureError("body is not JSON") from None
    if (
        not isinstance(event, dict)
        or not isinstance(event.get("id"), str)
        or not isinstance(event.get("type"), str)
    ):
        raise SignatureError("body is not a Stripe event")
    return event
