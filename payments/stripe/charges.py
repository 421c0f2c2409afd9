"""Charges, refunds and disputes for the payments tool."""

from __future__ import annotations

from typing import Any

from payments.stripe.core import _call, _write

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
    return _write(
        "refunds.create",
        lambda c, o: c.v1.refunds.create(params, o),  # type: ignore[arg-type]
        account=account,
        idempotency_key=idempotency_key,
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
