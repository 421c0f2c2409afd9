"""Payouts: automatic daily payouts of connected accounts' available balance.

docs.stripe.com/payouts: a US account on the default schedule (`interval: daily`,
`delay_days: 2`, as fakestripe's accounts carry) gets one automatic payout a day of the
funds that became available (`available_on`) by then; a balance of zero or less pays
nothing and carries over (refunds and disputes net against later payouts). The payout
is created `pending`, goes `in_transit` and is `paid` on its `arrival_date` (the next
day here), or `failed` with `failure_code`/`failure_message`, its amount coming back as
a `payout_failure` balance transaction that the next payout includes
(docs.stripe.com/payouts#payout-failures, /api/payouts/object).

`GET /v1/balance_transactions?payout=po_…` lists what an automatic payout paid out,
plus the payout's own `payout` transaction (docs.stripe.com/api/balance_transactions/list
#balance_transaction_list-payout; docs.stripe.com/reports/payout-reconciliation).

Everything runs when fakestripe's clock moves (`/_fake/clock/advance`) or on
`/_fake/payouts/run`: each day boundary (00:00 UTC) passed since the last run, in order.
`/_fake/payouts/fail_next` makes an account's next payout fail.
"""

from __future__ import annotations

from typing import Any

from .. import PLATFORM
from ..app import Ctx, route
from .charges import DAY, new_bt

BANK_NAME = "STRIPE TEST BANK"


def payout_collection_owner(payout_id: str) -> str:
    """The pseudo-owner of a payout's list of balance transactions in the store."""
    return f"payout:{payout_id}"


def bank_account(store, account: str) -> dict[str, Any]:
    """The account's default external account (docs.stripe.com/api/external_account_bank_accounts)."""
    private = store.priv(account)
    ident = private.get("bank_account")
    if ident and ident in store.objects:
        return store.objects[ident]
    bank = {
        "id": store.new_id("ba"),
        "object": "bank_account",
        "account": account,
        "account_holder_name": None,
        "account_holder_type": "company",
        "account_type": None,
        "available_payout_methods": ["standard"],
        "bank_name": BANK_NAME,
        "country": "US",
        "currency": "usd",
        "customer": None,
        "default_for_currency": True,
        "fingerprint": store.new_id("fp", 16)[3:],
        "last4": "6789",
        "metadata": {},
        "routing_number": "110000000",
        "status": "new",
    }
    store.insert_unlisted(account, bank)
    private["bank_account"] = bank["id"]
    return bank


def _payout_accounts(store) -> list[str]:
    accounts = store.collections.get((PLATFORM, "account"))
    if accounts is None:
        return []
    out = []
    for ident in accounts:
        account = store.objects[ident]
        if account.get("payouts_enabled") and not store.private.get(ident, {}).get("deauthorized"):
            out.append(ident)
    return out


def run_schedule(app) -> int:
    """Creates the payouts of every day boundary passed and settles those that arrived.
    Call with the store's lock held; returns the number of payouts created."""
    store = app.store
    state = store.payouts
    now = store.now()
    today = now - now % DAY
    last = state.get("last_day")
    if last is None:
        state["last_day"] = today
        _arrive(app, now)
        return 0
    created = 0
    day = last + DAY
    while day <= today:
        _arrive(app, day)
        for account in _payout_accounts(store):
            if _create_payout(app, account, day) is not None:
                created += 1
        state["last_day"] = day
        day += DAY
    _arrive(app, now)
    store.touch()
    return created


def _create_payout(app, account: str, day: int) -> dict[str, Any] | None:
    store = app.store
    unpaid: list[str] = store.payouts.setdefault("unpaid", {}).get(account, [])
    included, keep = [], []
    for ident in unpaid:
        bt = store.objects.get(ident)
        if bt is None:
            continue
        (included if bt["available_on"] <= day else keep).append(ident)
    amount = sum(store.objects[i]["net"] for i in included)
    if not included or amount <= 0:
        return None  # nothing, or a negative balance: carried to the next day
    store.payouts["unpaid"][account] = keep
    bank = bank_account(store, account)
    failure = store.payouts.setdefault("fail_next", {}).pop(account, None)
    payout = {
        "id": store.new_id("po"),
        "object": "payout",
        "amount": amount,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": day + DAY,
        "automatic": True,
        "balance_transaction": None,
        "created": day,
        "currency": "usd",
        "description": "STRIPE PAYOUT",
        "destination": bank["id"],
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": {},
        "method": "standard",
        "original_payout": None,
        "payout_method": None,
        "reconciliation_status": "completed",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": None,
        "status": "pending",
        "trace_id": {"status": "pending", "value": None},
        "type": "bank_account",
    }
    store.insert(account, payout, {"fail": failure} if failure else None)
    own = new_bt(
        store, account, -amount, 0, [], "payout", "payout", payout, status="available", at=day
    )
    own["available_on"] = payout["arrival_date"]
    own["description"] = "STRIPE PAYOUT"
    payout["balance_transaction"] = own["id"]
    lines = store.collection(payout_collection_owner(payout["id"]), "balance_transaction")
    for ident in sorted(included, key=lambda i: store.objects[i]["created"]):
        lines.add(ident, store.objects[ident]["created"])
    lines.add(own["id"], day)
    emit = app.events.emit
    emit(account, "payout.created", payout, None, None, None)
    payout["status"] = "in_transit"
    emit(account, "payout.updated", payout, {"status": "pending"}, None, None)
    store.payouts.setdefault("in_transit", []).append(payout["id"])
    return payout


def _arrive(app, until: int) -> None:
    """In-transit payouts whose arrival date has come are paid, or fail if told to."""
    store = app.store
    waiting = store.payouts.get("in_transit") or []
    keep = []
    for ident in waiting:
        payout = store.objects.get(ident)
        if payout is None:
            continue
        if payout["arrival_date"] > until:
            keep.append(ident)
            continue
        account = store.owner[ident]
        failure = store.private.get(ident, {}).get("fail")
        if failure:
            _fail(app, account, payout, failure)
        else:
            payout["status"] = "paid"
            payout["trace_id"] = {"status": "supported", "value": f"FAKE{ident[-8:].upper()}"}
            app.events.emit(account, "payout.updated", payout, {"status": "in_transit"}, None, None)
            app.events.emit(account, "payout.paid", payout, None, None, None)
    store.payouts["in_transit"] = keep


def _fail(app, account: str, payout: dict[str, Any], failure: dict[str, Any]) -> None:
    store = app.store
    at = payout["arrival_date"]
    back = new_bt(
        store,
        account,
        payout["amount"],
        0,
        [],
        "payout_failure",
        "payout_reversal",
        payout,
        status="available",
        at=at,
    )
    back["available_on"] = at
    back["description"] = "STRIPE PAYOUT FAILURE"
    payout["status"] = "failed"
    payout["failure_balance_transaction"] = back["id"]
    payout["failure_code"] = failure["failure_code"]
    payout["failure_message"] = failure["failure_message"]
    previous = {
        "status": "in_transit",
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
    }
    app.events.emit(account, "payout.updated", payout, previous, None, None)
    app.events.emit(account, "payout.failed", payout, None, None, None)


# docs.stripe.com/api/payouts/failures
FAILURE_MESSAGES = {
    "account_closed": "The bank account has been closed.",
    "account_frozen": "The bank account has been frozen.",
    "bank_account_restricted": "The bank account has restrictions on either the type, or the "
    "number, of payouts allowed. This normally indicates that the bank account is a savings "
    "or other non-checking account.",
    "could_not_process": "The bank could not process this payout.",
    "insufficient_funds": "Your Stripe account has insufficient funds to cover the payout.",
    "invalid_account_number": "The routing number seems correct, but the account number is "
    "invalid.",
    "no_account": "The bank account details on file are probably incorrect. No bank account "
    "could be located with those details.",
}


# --- API ------------------------------------------------------------------------


@route("GET", "/v1/payouts/{payout}", "PayoutRetrieveParams")
def retrieve_payout(ctx: Ctx, payout: str):
    return ctx.store.get(ctx.owner, "payout", payout, "payout")


def _in_range(value: int, bounds: Any) -> bool:
    if bounds is None:
        return True
    if isinstance(bounds, int):
        return value == bounds
    return (
        ("gt" not in bounds or value > bounds["gt"])
        and ("gte" not in bounds or value >= bounds["gte"])
        and ("lt" not in bounds or value < bounds["lt"])
        and ("lte" not in bounds or value <= bounds["lte"])
    )


@route("GET", "/v1/payouts", "PayoutListParams")
def list_payouts(ctx: Ctx):
    # docs.stripe.com/api/payouts/list: arrival_date, created, destination, status
    p = ctx.params
    arrival, status, destination = p.get("arrival_date"), p.get("status"), p.get("destination")
    predicate = None
    if arrival is not None or status or destination:

        def predicate(po: dict[str, Any]) -> bool:
            return (
                _in_range(po["arrival_date"], arrival)
                and (not status or po["status"] == status)
                and (not destination or po["destination"] == destination)
            )

    return ctx.store.list_page(ctx.owner, "payout", p, "/v1/payouts", predicate)


def list_payout_transactions(ctx: Ctx, payout_id: str, predicate) -> dict[str, Any]:
    """`GET /v1/balance_transactions?payout=po_…` (called by the balance list)."""
    payout = ctx.store.get(ctx.owner, "payout", payout_id, "payout")
    return ctx.store.list_page(
        payout_collection_owner(payout["id"]),
        "balance_transaction",
        ctx.params,
        "/v1/balance_transactions",
        predicate,
    )
