"""Payouts and the balance transactions each one paid out (payout sync)."""

from __future__ import annotations

from typing import Any

from payments.stripe.core import _call


def payouts_list(
    *,
    account: str,
    created_gte: int | None = None,
    starting_after: str | None = None,
    limit: int = 100,
) -> dict:
    """One page of the connected account's payouts, newest first, each with its
    destination (bank account) expanded (docs.stripe.com/api/payouts/list). Returns
    `{"data", "has_more"}`. Raw JSON like balance_transactions_list: the sync reads many."""
    params: dict[str, Any] = {"limit": limit, "expand": ["data.destination"]}
    if created_gte is not None:
        params["created"] = {"gte": created_gte}
    if starting_after:
        params["starting_after"] = starting_after
    page = _call(
        "payouts.list",
        lambda c: c.raw_request("get", "/v1/payouts", **params).data,
        account=account,
    )
    return {"data": page["data"], "has_more": bool(page.get("has_more"))}


def payout_retrieve(*, account: str, payout_id: str) -> dict:
    """One payout with its destination expanded (webhooks re-fetch it: order matters)."""
    params = {"expand": ["destination"]}
    return _call(
        "payouts.retrieve",
        lambda c: c.v1.payouts.retrieve(payout_id, params),  # type: ignore[arg-type]
        account=account,
    )


def payout_balance_transactions(
    *, account: str, payout_id: str, starting_after: str | None = None, limit: int = 100
) -> dict:
    """One page of what an automatic payout paid out, the payout's own `payout`
    transaction included (docs.stripe.com/api/balance_transactions/list, `payout`)."""
    params: dict[str, Any] = {"limit": limit, "payout": payout_id}
    if starting_after:
        params["starting_after"] = starting_after
    page = _call(
        "balance_transactions.list",
        lambda c: c.raw_request("get", "/v1/balance_transactions", **params).data,
        account=account,
    )
    return {"data": page["data"], "has_more": bool(page.get("has_more"))}
