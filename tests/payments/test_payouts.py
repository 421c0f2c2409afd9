"""Payout sync against fakestripe with the real SDK: a month of activity paid out day by
day, every payout itemised to the cent and every line tied to its hub record; failed
payouts flagged and mailed once; unknown balance transactions flagged, not hidden; idle
accounts cost nothing; the request budget holds."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from payments.links.services import LineSpec
from payments.models import Payment, Payout, PayoutLine
from payments.payouts import services as payouts
from payments.payouts.selectors import payout_detail
from subscriptions import tasks as subscription_tasks
from tests.factories import ProductFactory
from tests.payments.support import (
    confirm,
    fakestripe_account,
    make_link,
    paid_payment,
    refund,
    return_to_hub,
    start_checkout,
    stripe_fee,
)
from tests.subscriptions.support import make_subscription, saved_card

DAY = 86_400


@pytest.fixture(autouse=True)
def _unlimited_budget(settings):
    settings.FEE_SYNC_REQUESTS_PER_SECOND = 10_000


def start_of_day(stripe_hub) -> None:
    now = stripe_hub.now()
    stripe_hub.advance_clock(DAY - now % DAY + 60)


def pay_link(stripe_hub, portal, amount: int) -> Payment:
    """A buyer pays a one-line payment link through the hub's checkout."""
    product = ProductFactory(portal=portal, unit_price=amount)
    link = make_link(portal, lines=[LineSpec(product_id=product.pk, quantity=1)])
    buyer = Client()
    checkout = start_checkout(buyer, link)
    confirm(stripe_hub, checkout)
    return_to_hub(buyer, link, checkout)
    return Payment.objects.get(payment_intent_id=checkout.payment_intent_id)


def renew(stripe_hub, portal, account_id: str, amount: int) -> Payment:
    """A monthly subscription's second period, charged by the billing run."""
    customer, pm = saved_card(stripe_hub, account_id)
    make_subscription(
        portal,
        account=account_id,
        customer=customer,
        payment_method=pm,
        start=date(2026, 1, 15),
        amount=amount,
    )
    with time_machine.travel(datetime(2026, 2, 15, 12, tzinfo=UTC), tick=False):
        subscription_tasks.billing_run.delay()
    return Payment.objects.get(source=Payment.Source.SUBSCRIPTION)


def test_a_month_of_activity_pays_out_in_payouts_that_add_up_and_link_every_line(
    stripe_hub, portal, ready_account, billing_client, django_assert_max_num_queries
):
    account = ready_account
    start_of_day(stripe_hub)
    week_one = [pay_link(stripe_hub, portal, amount) for amount in (12_000, 4_550)]
    renewal = renew(stripe_hub, portal, account.stripe_id, 5_000)
    stripe_hub.advance_clock(3 * DAY)
    refunded = refund(stripe_hub, week_one[0], 2_500)  # partial
    stripe_hub.advance_clock(4 * DAY)
    disputed = pay_link(stripe_hub, portal, 30_000)
    stripe_hub.advance_clock(5 * DAY)
    dispute = stripe_hub.dispute(disputed.charge_id)
    Payment.objects.filter(pk=disputed.pk).update(
        dispute_id=dispute["id"], status=Payment.Status.DISPUTED
    )
    late = pay_link(stripe_hub, portal, 45_000)  # pays the dispute back, and more
    stripe_hub.advance_clock(8 * DAY)
    last = pay_link(stripe_hub, portal, 7_700)
    stripe_hub.advance_clock(10 * DAY)  # a month in all

    result = payouts.payouts_sync_account(account=account)

    rows = list(Payout.objects.filter(portal=portal).order_by("stripe_created"))
    assert len(rows) == 4 and result.payouts == len(rows)
    assert all(p.status == Payout.Status.PAID for p in rows)
    assert result.line_calls == len(rows)  # one request per payout of < 100 lines
    for payout in rows:
        assert payout.lines_net == payout.amount, payout.stripe_id
        assert payout.unknown_lines == 0 and payout.reconciled
        assert payout.bank_name == "STRIPE TEST BANK" and payout.bank_last4 == "6789"
    lines = list(PayoutLine.objects.filter(payout__portal=portal))
    assert all(line.known for line in lines)
    by_kind: dict[str, list[PayoutLine]] = {}
    for line in lines:
        by_kind.setdefault(line.kind, []).append(line)
    paid = {line.payment_id for line in by_kind["payment"]}
    assert paid == {p.pk for p in [*week_one, renewal, disputed, late, last]}
    for line in by_kind["payment"]:
        assert line.fee == stripe_fee(line.amount)
    (refund_line,) = by_kind["refund"]
    assert refund_line.refund_id == refunded.pk and refund_line.payment_id == week_one[0].pk
    assert refund_line.net == -2_500
    (dispute_line,) = by_kind["dispute"]
    assert dispute_line.payment_id == disputed.pk
    assert (dispute_line.amount, dispute_line.fee) == (-30_000, 1_500)
    # Every cent the buyers paid, less fees, refunds and the dispute, reached the bank.
    amounts = (12_000, 4_550, 5_000, 30_000, 45_000, 7_700)
    fees = sum(stripe_fee(a) for a in amounts) + 1_500
    assert sum(p.amount for p in rows) == sum(amounts) - fees - 2_500 - 30_000

    # The detail links each payment to what it paid, in a fixed number of queries.
    origins = {}
    for payout in rows:
        with django_assert_max_num_queries(8):
            detail = payout_detail(payout=payout)
        assert detail.adds_up and detail.net == payout.amount
        for row in detail.rows:
            if row.origin:
                origins[row.payment.pk] = row.origin.kind
    assert origins[renewal.pk] == "Subscription"
    assert origins[late.pk] == "Payment link"
    page = billing_client.get(reverse("payments:payout_detail", args=[rows[0].pk]))
    assert page.status_code == 200
    assert b'data-testid="adds-up"' in page.content

    # Running again reads nothing new and changes nothing.
    again = payouts.payouts_sync_account(account=account)
    assert again.line_calls == 0 and again.listing_calls == 1
    assert PayoutLine.objects.filter(payout__portal=portal).count() == len(lines)


def test_a_failed_payout_is_flagged_and_super_admins_are_mailed_once(
    hub_webhooks, stripe_hub, portal, super_admin, billing_admin, billing_client, transactional_db
):
    account = fakestripe_account(stripe_hub, portal)
    start_of_day(stripe_hub)
    stripe_hub.fail_next_payout(account.stripe_id, "account_closed")
    paid_payment(stripe_hub, account, amount=20_000)
    mail.outbox.clear()
    stripe_hub.advance_clock(3 * DAY)  # created, in transit, then failed: by webhook
    stripe_hub.flush_webhooks()

    payout = Payout.objects.get(portal=portal, status=Payout.Status.FAILED)
    assert payout.failure_code == "account_closed"
    assert payout.failure_message == "The bank account has been closed."
    assert [m.to for m in mail.outbox] == [[super_admin.email]]  # not the billing admin
    message = mail.outbox[0]
    assert "payout" in message.subject and "$" in message.subject
    assert reverse("payments:payout_detail", args=[payout.pk]) in message.body
    # The beat's run afterwards does not mail again.
    payouts.payouts_sync_account(account=account)
    assert len(mail.outbox) == 1

    listing = billing_client.get(reverse("payments:payouts"))
    assert b"row-failed" in listing.content
    assert b"The bank account has been closed." in listing.content
    page = billing_client.get(reverse("payments:payout_detail", args=[payout.pk]))
    assert b'data-testid="payout-failed"' in page.content
    # The returned money came back in the next payout, which the webhooks itemised.
    stripe_hub.advance_clock(2 * DAY)
    stripe_hub.flush_webhooks()
    returned = PayoutLine.objects.get(kind=PayoutLine.Kind.PAYOUT_FAILURE)
    assert returned.known and returned.net == payout.amount
    assert returned.payout.lines_net == returned.payout.amount
    page = billing_client.get(reverse("payments:payout_detail", args=[payout.pk]))
    repaid = reverse("payments:payout_detail", args=[returned.payout_id])
    assert b'data-testid="repaid"' in page.content and repaid.encode() in page.content


def test_a_balance_transaction_the_hub_does_not_know_is_flagged_not_hidden(
    stripe_hub, portal, billing_client
):
    account = fakestripe_account(stripe_hub, portal)
    start_of_day(stripe_hub)
    known = paid_payment(stripe_hub, account, amount=6_000)
    # A charge taken in the Stripe dashboard, outside the hub.
    client = stripe_hub.client(account.stripe_id)
    stranger = client.v1.payment_intents.create(
        {
            "amount": 2_000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
    )
    stripe_hub.advance_clock(3 * DAY)

    payouts.payouts_sync_account(account=account)

    payout = Payout.objects.get(portal=portal)
    assert payout.lines_net == payout.amount == 8_000 - stripe_fee(6_000) - stripe_fee(2_000)
    assert payout.unknown_lines == 1 and not payout.reconciled
    unknown = PayoutLine.objects.get(payout=payout, known=False)
    assert unknown.source_id == stranger.latest_charge and unknown.net == 2_000 - stripe_fee(2_000)
    assert PayoutLine.objects.get(payout=payout, known=True).payment_id == known.pk
    page = billing_client.get(reverse("payments:payout_detail", args=[payout.pk]))
    assert b'data-testid="payout-flag"' in page.content
    assert stranger.latest_charge.encode() in page.content
    assert page.content.count(b'data-testid="payout-line"') == 2
    listing = billing_client.get(reverse("payments:payouts"))
    assert b'data-testid="flag"' in listing.content


def test_idle_accounts_are_not_due_and_cost_no_call(stripe_hub, portal):
    account = fakestripe_account(stripe_hub, portal)
    assert payouts.accounts_due() == []  # no payments: nothing to pay out
    start_of_day(stripe_hub)
    paid_payment(stripe_hub, account, amount=3_000)
    assert payouts.accounts_due() == [account.pk]
    stripe_hub.advance_clock(3 * DAY)
    payouts.payouts_sync_account(account=account)
    # Paid out and itemised; the payment is recent, so the account stays due for a week.
    assert payouts.accounts_due() == [account.pk]
    stripe_hub.reset_stats()
    with time_machine.travel(datetime.now(UTC).replace(microsecond=0)) as traveller:
        traveller.shift(8 * DAY)
        payouts.payouts_sync_account(account=account)
        traveller.shift(8 * DAY)
        assert payouts.accounts_due() == []
        assert subscription_free_beat() == 0
    assert stripe_hub.stats()["total"] == 1  # only the run asked for, none by the beat


def subscription_free_beat() -> int:
    from payments.tasks import sync_payouts_due

    return sync_payouts_due.delay().get()


def test_the_request_budget_holds_during_a_sync(stripe_hub, portal, settings):
    settings.FEE_SYNC_REQUESTS_PER_SECOND = 5
    account = fakestripe_account(stripe_hub, portal)
    start_of_day(stripe_hub)
    for day in range(6):
        paid_payment(stripe_hub, account, amount=1_000 + day)
        stripe_hub.advance_clock(DAY)
    stripe_hub.advance_clock(3 * DAY)
    from payments.fees.services import STRIPE_BUDGET

    STRIPE_BUDGET.clear()
    stripe_hub.reset_stats()
    result = payouts.payouts_sync_account(account=account)
    assert result.payouts == 6
    times = stripe_hub.request_times()
    assert len(times) == 7
    from tests.request_log import busiest_second

    assert busiest_second(times) <= 5
