"""Refunds (docs.stripe.com/api/refunds)."""

from __future__ import annotations

from typing import Any

from ..app import Ctx, route
from ..errors import StripeError, invalid
from .charges import charge_of, new_bt
from .common import new_metadata, update_metadata


def _money(amount: int) -> str:
    return f"${amount / 100:,.2f}"


@route("POST", "/v1/refunds", "RefundCreateParams")
def create_refund(ctx: Ctx):
    p = ctx.params
    store = ctx.store
    if p.get("charge"):
        charge = charge_of(ctx, p["charge"])
    elif p.get("payment_intent"):
        pi = store.get(ctx.owner, "payment_intent", p["payment_intent"], "payment_intent")
        if pi["status"] != "succeeded" or not pi["latest_charge"]:
            raise StripeError(
                400,
                f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                code="charge_not_refundable",
                param="payment_intent",
            )
        charge = store.objects[pi["latest_charge"]]
    else:
        raise invalid(
            "One of the following params should be provided for this request: payment_intent or charge."
        )
    if charge["status"] != "succeeded" or not charge["captured"]:
        raise StripeError(
            400, f"Charge {charge['id']} has not been captured.", code="charge_not_refundable"
        )
    remaining = charge["amount_captured"] - charge["amount_refunded"]
    if remaining <= 0:
        # docs.stripe.com/error-codes/charge-already-refunded
        raise StripeError(
            400, f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
        )
    if charge["disputed"]:
        raise StripeError(
            400,
            f"Charge {charge['id']} has been charged back; cannot issue a refund.",
            code="charge_disputed",
        )
    amount = p.get("amount", remaining)
    if amount <= 0:
        raise invalid("Invalid positive integer", param="amount", code="parameter_invalid_integer")
    if amount > remaining:
        # docs.stripe.com/refunds: never more than the unrefunded amount
        raise invalid(
            f"Refund amount ({_money(amount)}) is greater than unrefunded amount on charge "
            f"({_money(remaining)})",
            param="amount",
            code="amount_too_large",
        )
    refund = {
        "id": store.new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": charge["id"],
        "created": ctx.now(),
        "currency": charge["currency"],
        "customer": charge["customer"],
        "customer_account": None,
        "destination_details": {
            "card": {
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        "metadata": new_metadata(p.get("metadata")),
        "payment_intent": charge["payment_intent"],
        "payment_method": charge["payment_method"],
        "reason": p.get("reason"),
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }
    store.insert(ctx.owner, refund)
    # The charge's includable `refunds` list (render.py), oldest first.
    store.priv(charge["id"]).setdefault("refunds", []).append(refund["id"])
    # docs.stripe.com/reports/balance-transaction-types: refund, negative, no fee
    bt = new_bt(store, ctx.owner, -amount, 0, [], "refund", "refund", refund)
    refund["balance_transaction"] = bt["id"]
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
    if p.get("refund_application_fee") and charge.get("application_fee"):
        fee = store.objects[charge["application_fee"]]
        share = fee["amount"] * amount // charge["amount_captured"]
        fee["amount_refunded"] = min(fee["amount"], fee["amount_refunded"] + share)
        fee["refunded"] = fee["amount_refunded"] >= fee["amount"]
    store.touch()
    ctx.emit("refund.created", refund)
    ctx.emit("charge.refunded", charge, previous)
    return refund


@route("GET", "/v1/refunds/{refund}", "RefundRetrieveParams")
def retrieve_refund(ctx: Ctx, refund: str):
    return ctx.store.get(ctx.owner, "refund", refund, "refund")


@route("POST", "/v1/refunds/{refund}", "RefundUpdateParams")
def update_refund(ctx: Ctx, refund: str):
    obj = ctx.store.get(ctx.owner, "refund", refund, "refund")
    previous: dict[str, Any] = {}
    update_metadata(obj, ctx.params.get("metadata"), previous)
    if previous:
        ctx.store.touch()
        ctx.emit("refund.updated", obj, previous)
    return obj


@route("GET", "/v1/refunds", "RefundListParams")
def list_refunds(ctx: Ctx):
    charge, pi = ctx.params.get("charge"), ctx.params.get("payment_intent")

    def keep(r: dict[str, Any]) -> bool:
        return (charge is None or r["charge"] == charge) and (
            pi is None or r["payment_intent"] == pi
        )

    return ctx.store.list_page(ctx.owner, "refund", ctx.params, "/v1/refunds", keep)
