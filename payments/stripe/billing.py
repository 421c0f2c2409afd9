"""Off-session charges and SetupIntents for subscription billing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from payments.stripe.core import _call, _write

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
    # A raw request answers the parsed JSON: the billing run makes thousands of these,
    # and building a StripeObject per intent (then a dict again) costs as much CPU as
    # the hub's own bookkeeping. Errors still raise the SDK's exceptions (a decline is a
    # CardError carrying the intent), translated by `_call`.
    return _write(
        "payment_intents.create_off_session",
        lambda c, o: c.raw_request("post", "/v1/payment_intents", **params, **o).data,
        account=account,
        idempotency_key=idempotency_key,
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
    return _write(
        "setup_intents.create",
        lambda c, o: c.v1.setup_intents.create(params, o),  # type: ignore[arg-type]
        account=account,
        idempotency_key=idempotency_key,
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
