"""Charges, their balance transactions, application fees and disputes.

docs.stripe.com/api/charges, /api/balance_transactions, /api/application_fees,
/api/disputes; fees follow US card pricing (stripe.com/pricing: 2.9% + 30¢).
"""

from __future__ import annotations

from typing import Any

from .. import PLATFORM
from ..app import Ctx, route
from ..errors import not_found
from .accounts import APPLICATION_ID
from .cards import Decline
from .common import set_fields, update_metadata

DAY = 86400
DISPUTE_FEE = 1500  # stripe.com/pricing: $15.00 per dispute


def stripe_fee(amount: int) -> int:
    """2.9% + 30¢, rounded half up (stripe.com/pricing)."""
    return (amount * 29 + 500) // 1000 + 30


def build_charge(
    ctx: Ctx,
    *,
    pi: dict[str, Any] | None,
    pm: dict[str, Any],
    amount: int,
    decline: Decline | None,
    capture: bool,
    three_d_secure: bool = False,
) -> dict[str, Any]:
    store = ctx.store
    card = pm["card"]
    succeeded = decline is None
    source = pi or {}
    charge = {
        "id": store.new_id("ch"),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if succeeded and capture else 0,
        "amount_refunded": 0,
        "application": APPLICATION_ID if ctx.owner != PLATFORM else None,
        "application_fee": None,
        "application_fee_amount": source.get("application_fee_amount") if succeeded else None,
        "balance_transaction": None,
        "billing_details": pm["billing_details"],
        "calculated_statement_descriptor": "FAKESTRIPE",
        "captured": succeeded and capture,
        "created": ctx.now(),
        "currency": source.get("currency", "usd"),
        "customer": source.get("customer") or pm.get("customer"),
        "description": source.get("description"),
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": decline.code if decline else None,
        "failure_message": decline.message if decline else None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(source.get("metadata") or {}),
        "on_behalf_of": None,
        # docs.stripe.com/declines: outcome.type authorized / issuer_declined
        "outcome": {
            "advice_code": None if succeeded else "try_again_later",
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network" if succeeded else "declined_by_network",
            "reason": decline.decline_code if decline else None,
            "risk_level": "normal",
            "risk_score": 20,
            "seller_message": "Payment complete."
            if succeeded
            else "The bank did not return any further details with this decline.",
            "type": "authorized" if succeeded else "issuer_declined",
        },
        "paid": succeeded,
        "payment_intent": source.get("id"),
        "payment_method": pm["id"],
        "payment_method_details": {
            "card": {
                "amount_authorized": amount if succeeded else None,
                "authorization_code": "123456" if succeeded else None,
                "brand": card["brand"],
                "checks": dict(card["checks"]),
                "country": card["country"],
                "exp_month": card["exp_month"],
                "exp_year": card["exp_year"],
                "fingerprint": card["fingerprint"],
                "funding": card["funding"],
                "last4": card["last4"],
                "mandate": None,
                "network": card["brand"],
                "network_transaction_id": "1234567890123456" if succeeded else None,
                "regulated_status": "unregulated",
                "three_d_secure": {
                    "authentication_flow": "challenge",
                    "result": "authenticated",
                    "result_reason": None,
                    "version": "2.2.0",
                }
                if three_d_secure
                else None,
                "wallet": None,
            },
            "type": "card",
        },
        "receipt_email": source.get("receipt_email"),
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "review": None,
        "shipping": source.get("shipping"),
        "source": None,  # legacy Sources and Tokens; a PaymentIntent's charge has none
        "source_transfer": None,
        "statement_descriptor": source.get("statement_descriptor"),
        "statement_descriptor_suffix": source.get("statement_descriptor_suffix"),
        "status": "succeeded" if succeeded else "failed",
        "transfer_data": None,
        "transfer_group": None,
    }
    if succeeded:
        charge["receipt_url"] = f"{ctx.app.base_url}/receipts/{charge['id']}"
    store.insert(ctx.owner, charge)
    return charge


def settle_charge(ctx: Ctx, charge: dict[str, Any], application_fee_amount: int | None) -> None:
    """A captured charge: its balance transaction and application fee."""
    if application_fee_amount:
        fee = _application_fee(ctx, charge, application_fee_amount)
        charge["application_fee"] = fee["id"]
        charge["application_fee_amount"] = application_fee_amount
    # STRIPE.md: balance_transaction is often null when charge.succeeded fires
    if ctx.store.config.get("balance_transaction_delay"):
        ctx.store.priv(charge["id"])["unsettled"] = True
        ctx.store.unsettled.append(charge["id"])
        return
    charge["balance_transaction"] = _charge_bt(ctx.store, ctx.owner, charge)["id"]


def _charge_bt(store, owner: str, charge: dict[str, Any]) -> dict[str, Any]:
    amount = charge["amount_captured"] or charge["amount"]
    processing = stripe_fee(amount)
    details = [
        {
            "amount": processing,
            "application": None,
            "currency": charge["currency"],
            "description": "Stripe processing fees",
            "type": "stripe_fee",
        }
    ]
    app_fee = charge.get("application_fee_amount") or 0
    if app_fee and charge.get("application_fee"):
        details.append(
            {
                "amount": app_fee,
                "application": APPLICATION_ID,
                "currency": charge["currency"],
                "description": "Commerce Hub (fakestripe) application fee",
                "type": "application_fee",
            }
        )
    return new_bt(store, owner, amount, processing + app_fee, details, "charge", "charge", charge)


def new_bt(store, owner, amount, fee, details, type_, category, source, status=None, at=None):
    now = store.now() if at is None else at
    bt = {
        "id": store.new_id("txn"),
        "object": "balance_transaction",
        "amount": amount,
        # docs.stripe.com/payouts#standard-payout-timing: US funds available after 2 days,
        # from the start of that day (00:00 UTC, as Stripe's available_on values are)
        "available_on": now - now % DAY + 2 * DAY if amount > 0 else now,
        "balance_type": "payments",
        "created": now,
        "currency": source.get("currency", "usd"),
        "description": source.get("description"),
        "exchange_rate": None,
        "fee": fee,
        "fee_details": details,
        "net": amount - fee,
        "reporting_category": category,
        "source": source["id"],
        "status": status or ("pending" if amount > 0 else "available"),
        "type": type_,
    }
    store.insert(owner, bt)
    if bt["status"] == "pending":
        store.pending_bts.append(bt["id"])
    if owner != PLATFORM and type_ != "payout":
        # What the account's next automatic payouts pay out (resources/payouts.py).
        store.payouts.setdefault("unpaid", {}).setdefault(owner, []).append(bt["id"])
    return bt


def release_pending(store) -> None:
    """BTs whose available_on has passed become available (clock advance)."""
    now = store.now()
    keep = []
    for ident in store.pending_bts:
        bt = store.objects.get(ident)
        if bt is None:
            continue
        if bt["available_on"] <= now:
            bt["status"] = "available"
        else:
            keep.append(ident)
    store.pending_bts = keep


def settle_delayed(app) -> int:
    """/_fake/balance/settle: create the BTs held back by balance_transaction_delay."""
    store = app.store
    count = 0
    with store.lock:
        unsettled, store.unsettled = store.unsettled, []
        for ident in unsettled:
            found = store.find(ident)
            if found is None:
                continue
            owner, charge = found
            if charge["balance_transaction"] is not None:
                continue
            charge["balance_transaction"] = _charge_bt(store, owner, charge)["id"]
            store.priv(ident).pop("unsettled", None)
            app.events.emit(
                owner, "charge.updated", charge, {"balance_transaction": None}, None, None
            )
            count += 1
        store.touch()
    return count


def _application_fee(ctx: Ctx, charge: dict[str, Any], amount: int) -> dict[str, Any]:
    """docs.stripe.com/connect/direct-charges#collect-fees: the fee lands on the platform."""
    store = ctx.store
    fee = {
        "id": store.new_id("fee"),
        "object": "application_fee",
        "account": ctx.owner,
        "amount": amount,
        "amount_refunded": 0,
        "application": APPLICATION_ID,
        "balance_transaction": None,
        "charge": charge["id"],
        "created": ctx.now(),
        "currency": charge["currency"],
        "fee_source": {"charge": charge["id"], "type": "charge"},
        "livemode": False,
        "originating_transaction": None,
        "refunded": False,
        "refunds": {"object": "list", "data": [], "has_more": False, "url": ""},
    }
    fee["refunds"]["url"] = f"/v1/application_fees/{fee['id']}/refunds"
    store.insert(PLATFORM, fee)
    bt = new_bt(store, PLATFORM, amount, 0, [], "application_fee", "platform_earning", fee)
    fee["balance_transaction"] = bt["id"]
    ctx.emit("application_fee.created", fee, owner=PLATFORM)
    return fee


def create_dispute(app, owner: str, charge: dict[str, Any]) -> dict[str, Any]:
    """docs.stripe.com/disputes: funds and a $15.00 fee are withdrawn at once."""
    store = app.store
    now = store.now()
    dispute = {
        "id": store.new_id("dp"),
        "object": "dispute",
        "amount": charge["amount"],
        "balance_transactions": [],
        "charge": charge["id"],
        "created": now,
        "currency": charge["currency"],
        "enhanced_eligibility_types": [],
        "evidence": {**{k: None for k in _EVIDENCE}, "enhanced_evidence": {}},
        "evidence_details": {
            "due_by": now + 7 * DAY,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
            "submission_method": "not_submitted",
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": charge.get("payment_intent"),
        "payment_method_details": {
            "card": {
                "brand": charge["payment_method_details"]["card"]["brand"],
                "case_type": "chargeback",
                "network": charge["payment_method_details"]["card"]["network"],
                "network_reason_code": "10.4",
            },
            "type": "card",
        },
        "reason": "fraudulent",
        "status": "needs_response",
    }
    store.insert(owner, dispute)
    details = [
        {
            "amount": DISPUTE_FEE,
            "application": None,
            "currency": charge["currency"],
            "description": "Dispute fee",
            "type": "stripe_fee",
        }
    ]
    bt = new_bt(
        store, owner, -charge["amount"], DISPUTE_FEE, details, "adjustment", "dispute", dispute
    )
    dispute["balance_transactions"] = [bt]
    charge["disputed"] = True
    app.events.emit(owner, "charge.dispute.created", dispute, None, None, None)
    return dispute


_EVIDENCE = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
)


# --- API ------------------------------------------------------------------------


@route("GET", "/v1/charges/{charge}", "ChargeRetrieveParams")
def retrieve_charge(ctx: Ctx, charge: str):
    return ctx.store.get(ctx.owner, "charge", charge, "charge")


@route("POST", "/v1/charges/{charge}", "ChargeUpdateParams")
def update_charge(ctx: Ctx, charge: str):
    obj = ctx.store.get(ctx.owner, "charge", charge, "charge")
    previous: dict[str, Any] = {}
    set_fields(obj, ctx.params, ("description", "receipt_email"), previous)
    update_metadata(obj, ctx.params.get("metadata"), previous)
    if previous:
        ctx.store.touch()
        ctx.emit("charge.updated", obj, previous)
    return obj


@route("GET", "/v1/charges", "ChargeListParams")
def list_charges(ctx: Ctx):
    p = ctx.params
    customer, pi = p.get("customer"), p.get("payment_intent")
    predicate = None
    if customer or pi:

        def predicate(c: dict[str, Any]) -> bool:
            return (customer is None or c["customer"] == customer) and (
                pi is None or c["payment_intent"] == pi
            )

    return ctx.store.list_page(ctx.owner, "charge", p, "/v1/charges", predicate)


@route("GET", "/v1/disputes/{dispute}", "DisputeRetrieveParams")
def retrieve_dispute(ctx: Ctx, dispute: str):
    return ctx.store.get(ctx.owner, "dispute", dispute, "dispute")


@route("GET", "/v1/disputes", "DisputeListParams")
def list_disputes(ctx: Ctx):
    return ctx.store.list_page(ctx.owner, "dispute", ctx.params, "/v1/disputes")


def charge_of(ctx: Ctx, ident: str, param: str = "charge") -> dict[str, Any]:
    obj = ctx.store.objects.get(ident)
    if obj is None or obj["object"] != "charge" or ctx.store.owner[ident] != ctx.owner:
        raise not_found("charge", ident, param)
    return obj
