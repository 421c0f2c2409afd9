"""Customers and PaymentIntents for the hosted checkout."""

from __future__ import annotations

from typing import Any

from payments.stripe.core import _call, _write

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
    return _write(
        "customers.create",
        lambda c, o: c.v1.customers.create(params, o),  # type: ignore[arg-type]
        account=account,
        idempotency_key=idempotency_key,
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
    return _write(
        "payment_intents.create",
        lambda c, o: c.v1.payment_intents.create(params, o),  # type: ignore[arg-type]
        account=account,
        idempotency_key=idempotency_key,
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
    return _write(
        "payment_intents.update",
        lambda c, o: c.v1.payment_intents.update(
            payment_intent_id,
            params,  # type: ignore[arg-type]
            o,  # type: ignore[arg-type]
        ),
        account=account,
        idempotency_key=idempotency_key,
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
    return _write(
        "payment_intents.cancel",
        lambda c, o: c.v1.payment_intents.cancel(
            payment_intent_id,
            params,  # type: ignore[arg-type]
            o,  # type: ignore[arg-type]
        ),
        account=account,
        idempotency_key=idempotency_key,
    )
