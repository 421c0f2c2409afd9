"""Balance transactions for the fee sync."""

from __future__ import annotations

from typing import Any

from payments.stripe.core import _call

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
