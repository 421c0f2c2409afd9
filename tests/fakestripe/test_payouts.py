"""Automatic payouts: daily payouts of the available balance as the clock moves, their
lists and filters, their balance transactions, events, and a failed payout. Every
response goes through the shape-checking client (conftest.py)."""

from __future__ import annotations

import pytest

from fakestripe.resources.charges import DAY, stripe_fee

from .typecheck import check_object


def pay(connected, amount: int) -> dict:
    intent = connected.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
    )
    return connected.v1.charges.retrieve(intent.latest_charge).to_dict()


def start_of_day(fakestripe) -> None:
    """Moves the clock to just after the next 00:00 UTC, so days are whole."""
    now = fakestripe.now()
    fakestripe.advance_clock(DAY - now % DAY + 60)


def all_lines(connected, payout_id: str, limit: int = 100) -> list[dict]:
    lines, after = [], None
    while True:
        params = {"payout": payout_id, "limit": limit}
        if after:
            params["starting_after"] = after
        page = connected.v1.balance_transactions.list(params)
        lines.extend(bt.to_dict() for bt in page.data)
        if not page.has_more:
            return lines
        after = page.data[-1].id


def test_available_funds_are_paid_out_daily_and_the_lines_add_up(fakestripe, connected, account):
    start_of_day(fakestripe)
    charges = [pay(connected, amount) for amount in (10_000, 2_500, 4_200)]
    connected.v1.refunds.create(params={"charge": charges[0]["id"], "amount": 1_000})
    assert connected.v1.payouts.list().data == []  # nothing available yet

    fakestripe.advance_clock(2 * DAY)  # available after two days, paid out that night

    payouts = connected.v1.payouts.list().data
    assert len(payouts) == 1
    payout = payouts[0].to_dict()
    check_object(payout)
    gross = 10_000 + 2_500 + 4_200
    fees = sum(stripe_fee(a) for a in (10_000, 2_500, 4_200))
    # The refund (available at once) was paid out the night before: a negative balance
    # carries over to this payout.
    assert payout["amount"] == gross - fees - 1_000
    assert payout["automatic"] is True and payout["method"] == "standard"
    assert payout["status"] == "in_transit"
    assert payout["arrival_date"] == payout["created"] + DAY
    lines = all_lines(connected, payout["id"], limit=2)
    kinds = sorted(bt["type"] for bt in lines)
    assert kinds == ["charge", "charge", "charge", "payout", "refund"]
    own = next(bt for bt in lines if bt["type"] == "payout")
    assert own["id"] == payout["balance_transaction"] and own["amount"] == -payout["amount"]
    assert sum(bt["net"] for bt in lines if bt["type"] != "payout") == payout["amount"]

    bank = connected.v1.payouts.retrieve(payout["id"], {"expand": ["destination"]}).to_dict()
    assert bank["destination"]["bank_name"] == "STRIPE TEST BANK"
    assert bank["destination"]["last4"] == "6789"

    fakestripe.advance_clock(DAY)
    assert connected.v1.payouts.retrieve(payout["id"]).status == "paid"


def test_a_negative_balance_pays_nothing_and_nets_against_the_next_payout(
    fakestripe, connected, account
):
    start_of_day(fakestripe)
    charge = pay(connected, 5_000)
    fakestripe.advance_clock(2 * DAY)
    first = connected.v1.payouts.list().data[0]
    assert first.amount == 5_000 - stripe_fee(5_000)
    fakestripe.dispute(charge["id"])  # -5,000 and a $15 fee, at once
    fakestripe.advance_clock(DAY)
    assert len(connected.v1.payouts.list().data) == 1  # balance below zero: no payout
    pay(connected, 30_000)
    fakestripe.advance_clock(3 * DAY)
    newest = connected.v1.payouts.list().data[0]
    assert newest.amount == 30_000 - stripe_fee(30_000) - 5_000 - 1_500
    kinds = sorted(bt.type for bt in connected.v1.balance_transactions.list({"payout": newest.id}))
    assert kinds == ["adjustment", "charge", "payout"]


def test_filters_and_pagination(fakestripe, connected, account):
    start_of_day(fakestripe)
    for _ in range(4):
        pay(connected, 1_000)
        fakestripe.advance_clock(DAY)
    fakestripe.advance_clock(2 * DAY)
    payouts = connected.v1.payouts.list({"limit": 100}).data
    assert len(payouts) == 4
    assert [p.created for p in payouts] == sorted((p.created for p in payouts), reverse=True)
    page = connected.v1.payouts.list({"limit": 2})
    assert page.has_more and len(page.data) == 2
    rest = connected.v1.payouts.list({"limit": 2, "starting_after": page.data[-1].id})
    assert [p.id for p in page.data + rest.data] == [p.id for p in payouts]
    paid = connected.v1.payouts.list({"status": "paid"}).data
    assert {p.id for p in paid} == {p.id for p in payouts if p.status == "paid"} and paid
    newest = payouts[0]
    by_arrival = connected.v1.payouts.list({"arrival_date": {"gte": newest.arrival_date}}).data
    assert [p.id for p in by_arrival] == [newest.id]
    by_created = connected.v1.payouts.list({"created": {"lt": newest.created}}).data
    assert [p.id for p in by_created] == [p.id for p in payouts[1:]]


def test_payouts_are_per_account_and_unknown_ids_are_404(
    fakestripe, connected, make_client, client
):
    other = client.v1.accounts.create(params={"type": "standard", "email": "b@example.com"})
    fakestripe.verify_account(other.id)
    start_of_day(fakestripe)
    pay(connected, 2_000)
    fakestripe.advance_clock(3 * DAY)
    payout = connected.v1.payouts.list().data[0]
    other_client = make_client(stripe_account=other.id)
    assert other_client.v1.payouts.list().data == []
    import stripe

    with pytest.raises(stripe.InvalidRequestError) as caught:
        other_client.v1.payouts.retrieve(payout.id)
    assert caught.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError):
        other_client.v1.balance_transactions.list({"payout": payout.id})


def test_a_failed_payout_returns_its_funds_into_the_next_one(fakestripe, connected, account):
    start_of_day(fakestripe)
    fakestripe.fail_next_payout(account, "account_closed")
    pay(connected, 8_000)
    fakestripe.advance_clock(2 * DAY)
    payout = connected.v1.payouts.list().data[0]
    fakestripe.advance_clock(DAY)

    failed = connected.v1.payouts.retrieve(payout.id).to_dict()
    check_object(failed)
    assert failed["status"] == "failed"
    assert failed["failure_code"] == "account_closed"
    assert failed["failure_message"] == "The bank account has been closed."
    back = connected.v1.balance_transactions.retrieve(failed["failure_balance_transaction"])
    assert back.type == "payout_failure" and back.amount == failed["amount"]

    # The returned funds are available at once: that night's payout pays them again.
    again = connected.v1.payouts.list({"created": {"gt": failed["created"]}}).data
    assert [p.amount for p in again] == [failed["amount"]]
    lines = connected.v1.balance_transactions.list({"payout": again[0].id}).data
    assert sorted(bt.type for bt in lines) == ["payout", "payout_failure"]
    fakestripe.advance_clock(DAY)
    assert connected.v1.payouts.retrieve(again[0].id).status == "paid"

    events = connected.v1.events.list({"type": "payout.*", "limit": 100}).data
    types = [e.type for e in reversed(events)]
    assert types == [
        "payout.created",
        "payout.updated",
        "payout.updated",
        "payout.failed",
        "payout.created",
        "payout.updated",
        "payout.updated",
        "payout.paid",
    ]
    assert all(e.account == account for e in events)
    with pytest.raises(Exception, match="failure_code"):
        fakestripe.fail_next_payout(account, "made_up")
