"""Balance transactions and application fees
(docs.stripe.com/api/balance_transactions, /api/application_fees)."""

from __future__ import annotations

from typing import Any

from .. import PLATFORM
from ..app import Ctx, route
from .payouts import list_payout_transactions


@route("GET", "/v1/balance_transactions/{id}", "BalanceTransactionRetrieveParams")
def retrieve_balance_transaction(ctx: Ctx, id: str):
    return ctx.store.get(ctx.owner, "balance_transaction", id, "id")


@route("GET", "/v1/balance_transactions", "BalanceTransactionListParams")
def list_balance_transactions(ctx: Ctx):
    # docs.stripe.com/api/balance_transactions/list: created, type, source, currency, payout
    p = ctx.params
    kind, source, currency = p.get("type"), p.get("source"), p.get("currency")
    predicate = None
    if kind or source or currency:

        def predicate(bt: dict[str, Any]) -> bool:
            return (
                (kind is None or bt["type"] == kind)
                and (source is None or bt["source"] == source)
                and (currency is None or bt["currency"] == currency)
            )

    if p.get("payout"):
        return list_payout_transactions(ctx, p["payout"], predicate)
    return ctx.store.list_page(
        ctx.owner, "balance_transaction", p, "/v1/balance_transactions", predicate
    )


@route("GET", "/v1/application_fees/{id}", "ApplicationFeeRetrieveParams")
def retrieve_application_fee(ctx: Ctx, id: str):
    return ctx.store.get(PLATFORM if ctx.owner == PLATFORM else "-", "application_fee", id, "id")


@route("GET", "/v1/application_fees", "ApplicationFeeListParams")
def list_application_fees(ctx: Ctx):
    if ctx.owner != PLATFORM:
        return {"object": "list", "data": [], "has_more": False, "url": "/v1/application_fees"}
    charge = ctx.params.get("charge")
    predicate = (lambda f: f["charge"] == charge) if charge else None
    return ctx.store.list_page(
        PLATFORM, "application_fee", ctx.params, "/v1/application_fees", predicate
    )
