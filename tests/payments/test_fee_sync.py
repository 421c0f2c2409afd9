"""Fee sync against fakestripe: figures per payment, two accounts never mixed,
idempotency, crash and resume, late balance transactions, activity, mismatch and repair.

`seeded_account` (tests/payments/support.py) makes real charges in fakestripe quickly
(`/_fake/seed`) and records the matching Payments the way checkout would, in bulk;
refunds are real Stripe refunds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from payments.fees import checks as fee_checks
from payments.fees import services as fees
from payments.models import FeeSyncState, Payment, Refund
from tests.payments.support import (
    fakestripe_account,
    paid_payment,
    refund,
    seeded_account,
    stripe_fee,
)
from tests.request_log import busiest_second, span


@pytest.fixture(autouse=True)
def _unlimited_budget(settings):
    settings.FEE_SYNC_REQUESTS_PER_SECOND = 10_000


def snapshot(portal) -> list[tuple]:
    return list(
        Payment.objects.filter(portal=portal)
        .order_by("pk")
        .values_list("pk", "fee", "net", "charge_gross", "balance_transaction_id", "fees_synced_at")
    )


# --- Figures ------------------------------------------------------------------------


def test_a_thousand_payments_and_refunds_over_two_accounts_get_their_own_figures(
    stripe_hub, portal, other_portal
):
    account_a, payments_a = seeded_account(stripe_hub, portal, charges=500)
    account_b, payments_b = seeded_account(stripe_hub, other_portal, charges=500)
    refunded = {}
    for payment in payments_a[:30] + payments_b[:30]:
        refunded[payment.pk] = refund(stripe_hub, payment, 250)
    # A row of account B claiming a charge of account A must not get A's figures.
    stray = Payment.objects.create(
        portal=other_portal,
        source=Payment.Source.PAYMENT_LINK,
        status=Payment.Status.SUCCEEDED,
        amount=payments_a[40].amount,
        stripe_account_id=account_b.stripe_id,
        payment_intent_id="pi_stray",
        charge_id=payments_a[40].charge_id,
        paid_at=timezone.now(),
    )

    result_a = fees.fees_sync_account(account=account_a)
    result_b = fees.fees_sync_account(account=account_b)

    assert result_a.pages == 6 and result_b.pages == 6  # 530 transactions each, 100 a page
    for payment in Payment.objects.exclude(pk=stray.pk):
        expected_fee = stripe_fee(payment.amount)
        back = 250 if payment.pk in refunded else 0
        assert payment.fee == expected_fee, payment.charge_id
        assert payment.net == payment.amount - expected_fee - back
        assert payment.charge_gross == payment.amount
        assert payment.balance_transaction_id.startswith("txn_")
        assert payment.fee_details[0]["type"] == "stripe_fee"
        assert payment.available_on is not None
        assert payment.stripe_refunded == back
    for row in Refund.objects.all():
        assert row.balance_amount == -250 and row.balance_net == -250
        assert row.balance_transaction_id.startswith("txn_")
    stray.refresh_from_db()
    assert stray.fee is None and stray.net is None


def test_a_dispute_withdraws_the_amount_and_adds_its_fee_to_the_payment(stripe_hub, portal):
    account = fakestripe_account(stripe_hub, portal)
    payment = paid_payment(stripe_hub, account, amount=10_000)
    dispute = stripe_hub.dispute(payment.charge_id)
    Payment.objects.filter(pk=payment.pk).update(
        dispute_id=dispute["id"], status=Payment.Status.DISPUTED
    )

    fees.fees_sync_account(account=account)

    payment.refresh_from_db()
    charge_fee = stripe_fee(10_000)
    assert payment.fee == charge_fee + 1_500
    assert payment.net == 10_000 - charge_fee - 10_000 - 1_500
    assert [d["type"] for d in payment.fee_details] == ["stripe_fee", "stripe_fee"]


def test_a_payment_without_its_balance_transaction_stays_pending_not_zero(stripe_hub, portal):
    stripe_hub.configure(balance_transaction_delay=True)
    account = fakestripe_account(stripe_hub, portal)
    payment = paid_payment(stripe_hub, account, amount=4_000)

    fees.fees_sync_account(account=account)

    payment.refresh_from_db()
    assert payment.fee is None and payment.net is None
    assert list(fee_checks.payments_waiting_for_fees(portal=portal)) == [payment]


# --- Idempotency, crash and resume, late arrivals ---------------------------------------


def test_running_twice_changes_nothing(stripe_hub, portal):
    account, payments = seeded_account(stripe_hub, portal, charges=150)
    refund(stripe_hub, payments[0], 500)
    fees.fees_sync_account(account=account)
    before = snapshot(portal)

    again = fees.fees_sync_account(account=account)

    assert again.applied == 0
    assert snapshot(portal) == before


def test_a_failure_mid_run_resumes_after_the_last_page_applied(stripe_hub, portal, settings):
    settings.STRIPE_MAX_RETRIES = 0
    account, _ = seeded_account(stripe_hub, portal, charges=350)

    injected = []

    def fail_next_page(count, applied):
        if not injected:
            injected.append(stripe_hub.inject_failure("/v1/balance_transactions", method="GET"))

    with pytest.raises(fees.stripe_api.StripeUnavailable):
        fees.fees_sync_account(account=account, on_page=fail_next_page)

    state = FeeSyncState.objects.get(account=account)
    assert state.resume_after and state.running_since is None and state.last_error
    synced = Payment.objects.filter(fee__isnull=False).count()
    # The sync reads one page ahead, so the failed request is the 2nd or the 3rd.
    assert synced in (100, 200)
    stripe_hub.reset_stats()

    result = fees.fees_sync_account(account=account)

    remaining = (350 - synced + 99) // 100
    assert result.pages == remaining  # only the pages not applied yet, not the whole run
    assert stripe_hub.stats()["total"] == remaining
    assert Payment.objects.filter(fee__isnull=True).count() == 0
    state.refresh_from_db()
    assert state.resume_after == "" and state.last_success_at and state.last_error == ""


def test_a_crash_while_applying_a_page_rolls_it_back_and_reapplies_it(
    stripe_hub, portal, monkeypatch
):
    account, _ = seeded_account(stripe_hub, portal, charges=250)
    real_apply = fees.apply_balance_transactions
    calls = []

    def crash_on_second_page(*, account, transactions):
        calls.append(1)
        changed = real_apply(account=account, transactions=transactions)
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return changed

    monkeypatch.setattr(fees, "apply_balance_transactions", crash_on_second_page)
    with pytest.raises(RuntimeError):
        fees.fees_sync_account(account=account)
    assert Payment.objects.filter(fee__isnull=False).count() == 100
    monkeypatch.setattr(fees, "apply_balance_transactions", real_apply)

    fees.fees_sync_account(account=account)

    assert Payment.objects.filter(fee__isnull=True).count() == 0


def test_a_run_claimed_by_another_worker_is_skipped(stripe_hub, portal):
    account = fakestripe_account(stripe_hub, portal)
    FeeSyncState.objects.create(account=account, running_since=timezone.now())
    stripe_hub.reset_stats()

    assert fees.fees_sync_account(account=account).skipped
    assert stripe_hub.stats()["total"] == 0


def test_late_balance_transactions_are_caught_by_the_next_run(stripe_hub, portal):
    account = fakestripe_account(stripe_hub, portal)
    early = paid_payment(stripe_hub, account, amount=2_000)
    stripe_hub.configure(balance_transaction_delay=True)
    late = paid_payment(stripe_hub, account, amount=3_000)
    fees.fees_sync_account(account=account)
    late.refresh_from_db()
    assert late.fee is None

    stripe_hub.settle_balance()
    fees.fees_sync_account(account=account)

    early.refresh_from_db()
    late.refresh_from_db()
    assert early.fee == stripe_fee(2_000)
    assert late.fee == stripe_fee(3_000) and late.net == 3_000 - stripe_fee(3_000)


def test_the_next_run_starts_from_the_cursor_with_an_overlap(stripe_hub, portal):
    account, _ = seeded_account(stripe_hub, portal, charges=120)
    stripe_hub.advance_clock(3600)
    newest = paid_payment(stripe_hub, account, amount=6_000)
    fees.fees_sync_account(account=account)
    state = FeeSyncState.objects.get(account=account)
    now = stripe_hub.now()
    assert now - fees.OVERLAP_SECONDS - 5 <= state.cursor <= now - fees.OVERLAP_SECONDS

    stripe_hub.advance_clock(60)
    late = paid_payment(stripe_hub, account, amount=7_000)
    stripe_hub.reset_stats()
    result = fees.fees_sync_account(account=account)

    # One page: the new transaction and the overlap, not the 120 older ones.
    assert stripe_hub.stats()["total"] == 1 and result.seen == 2
    late.refresh_from_db()
    newest.refresh_from_db()
    assert late.fee == stripe_fee(7_000) and newest.fee == stripe_fee(6_000)


# --- The request budget ------------------------------------------------------------------


def test_the_request_budget_holds_during_a_sync(stripe_hub, portal, settings):
    # Given the configured budget of 5 requests a second (burst 5) and a sync of 15 pages
    settings.FEE_SYNC_REQUESTS_PER_SECOND = 5
    account, _ = seeded_account(stripe_hub, portal, charges=1_450)
    fees.STRIPE_BUDGET.clear()
    stripe_hub.reset_stats()

    # When the sync runs
    result = fees.fees_sync_account(account=account)

    # Then, by when fakestripe received the requests (its own clock), they spread over
    # as long as 15 requests at 5/s after a burst of 5 take, and no 1 s window saw more
    # than the burst plus one second's worth of requests
    arrived = stripe_hub.request_times()
    assert result.pages == 15 and stripe_hub.stats()["total"] == 15 and len(arrived) == 15
    assert span(arrived, 15) >= (15 - 5) / 5 - 0.05, span(arrived, 15)
    busiest = busiest_second(arrived)
    assert 5 <= busiest <= 5 + 5, busiest
    assert Payment.objects.filter(fee__isnull=True).count() == 0


def test_the_budget_comes_from_the_environment():
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "FEE_SYNC_REQUESTS_PER_SECOND": "7"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    script = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'commerce.settings'; "
        "django.setup(); from payments.fees import services as fees; b = fees.STRIPE_BUDGET; "
        "print(b.rate, b.burst, b.shared)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True
    )
    # 7 a second with a burst of the same size, per worker process
    assert result.stdout.split() == ["7", "7", "False"], result.stderr


def test_a_budget_of_zero_turns_it_off(settings):
    settings.FEE_SYNC_REQUESTS_PER_SECOND = 0
    assert fees.STRIPE_BUDGET.rate == 0
    # Far more requests than any budget allows in a second, none of them waits
    assert all(fees.STRIPE_BUDGET.wait() == 0.0 for _ in range(1_000))
    settings.FEE_SYNC_REQUESTS_PER_SECOND = 3
    assert fees.STRIPE_BUDGET.rate == 3


# --- Activity and the beat ---------------------------------------------------------------


def test_only_accounts_with_activity_since_their_last_sync_are_due(
    stripe_hub, portal, other_portal
):
    busy = fakestripe_account(stripe_hub, portal)
    idle = fakestripe_account(stripe_hub, other_portal)
    paid_payment(stripe_hub, busy, amount=1_000)
    paid_payment(stripe_hub, idle, amount=1_000)
    assert set(fees.accounts_due()) == {busy.pk, idle.pk}
    fees.fees_sync_account(account=busy)
    fees.fees_sync_account(account=idle)
    assert fees.accounts_due() == []

    paid_payment(stripe_hub, busy, amount=2_000)

    assert fees.accounts_due() == [busy.pk]


def test_the_beat_task_syncs_due_accounts_and_costs_nothing_when_idle(stripe_hub, portal):
    from payments import tasks

    account = fakestripe_account(stripe_hub, portal)
    payment = paid_payment(stripe_hub, account, amount=1_000)
    assert tasks.sync_fees_due() == 1
    payment.refresh_from_db()
    assert payment.fee == stripe_fee(1_000)
    stripe_hub.reset_stats()

    assert tasks.sync_fees_due() == 0
    assert stripe_hub.stats()["total"] == 0


def test_a_recent_payment_waiting_for_its_fee_keeps_the_account_due(stripe_hub, portal):
    stripe_hub.configure(balance_transaction_delay=True)
    account = fakestripe_account(stripe_hub, portal)
    paid_payment(stripe_hub, account, amount=1_000)
    fees.fees_sync_account(account=account)

    assert fees.accounts_due() == [account.pk]
    assert fees.accounts_due(now=timezone.now() + timedelta(days=8)) == []


# --- Mismatch and repair ----------------------------------------------------------------


def test_a_stored_amount_that_disagrees_with_stripe_is_detected_and_repaired(stripe_hub, portal):
    account = fakestripe_account(stripe_hub, portal)
    good = paid_payment(stripe_hub, account, amount=5_000)
    wrong = paid_payment(stripe_hub, account, amount=6_000)
    refund(stripe_hub, wrong, 1_000)
    fees.fees_sync_account(account=account)
    assert list(fee_checks.payments_with_mismatch(portal=portal)) == []
    Payment.objects.filter(pk=wrong.pk).update(amount=6_500, refunded_amount=0, net=1)

    assert list(fee_checks.payments_with_mismatch(portal=portal)) == [wrong]

    assert fee_checks.fees_repair_portal(portal=portal) == 1
    wrong.refresh_from_db()
    assert wrong.amount == 6_000 and wrong.refunded_amount == 1_000
    assert wrong.net == 6_000 - stripe_fee(6_000) - 1_000
    assert list(fee_checks.payments_with_mismatch(portal=portal)) == []
    good.refresh_from_db()
    assert good.net == 5_000 - stripe_fee(5_000)


def test_repair_fetches_a_payment_whose_transaction_arrived_late(stripe_hub, portal):
    stripe_hub.configure(balance_transaction_delay=True)
    account = fakestripe_account(stripe_hub, portal)
    payment = paid_payment(stripe_hub, account, amount=8_000)
    stripe_hub.settle_balance()

    fee_checks.fees_repair_payment(payment=payment)

    assert payment.fee == stripe_fee(8_000)
    assert list(fee_checks.payments_waiting_for_fees(portal=portal)) == []


def test_a_refund_not_synced_yet_is_not_reported_as_a_mismatch(stripe_hub, portal):
    account = fakestripe_account(stripe_hub, portal)
    payment = paid_payment(stripe_hub, account, amount=5_000)
    fees.fees_sync_account(account=account)

    refund(stripe_hub, payment, 700)

    assert list(fee_checks.payments_with_mismatch(portal=portal)) == []
    fees.fees_sync_account(account=account)
    payment.refresh_from_db()
    assert payment.stripe_refunded == 700 and payment.net == 5_000 - stripe_fee(5_000) - 700
    assert list(fee_checks.payments_with_mismatch(portal=portal)) == []
