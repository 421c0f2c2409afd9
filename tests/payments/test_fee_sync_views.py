"""Fee sync for people: the backfill command, Sync now, the health panel, Repair, and the
payment detail once fees are synced."""

from __future__ import annotations

import io

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from commerce.catalog.models import Product
from commerce.portals.models import Portal, User
from demo.seed import DEMO_PORTAL
from payments import tasks
from payments.connect import services as accounts
from payments.connect.status import AccountStatus
from payments.fees import checks as fee_checks
from payments.fees import services as fees
from payments.links.services import LineSpec, payment_link_create
from payments.models import FeeSyncState, Payment, StripeAccount
from reports.selectors import portal_tz
from tests.payments.support import (
    confirm,
    fakestripe_account,
    paid_payment,
    refund,
    return_to_hub,
    seeded_account,
    start_checkout,
    stripe_fee,
)

# The budget `make dev` runs with, before the fixture below lifts it.
CONFIGURED_BUDGET = django_settings.FEE_SYNC_REQUESTS_PER_SECOND


@pytest.fixture(autouse=True)
def _unlimited_budget(settings):
    settings.FEE_SYNC_REQUESTS_PER_SECOND = 10_000


def test_backfill_command_syncs_a_portal_and_shows_progress(stripe_hub, portal):
    seeded_account(stripe_hub, portal, charges=150)
    out, err = io.StringIO(), io.StringIO()

    call_command("sync_fees", portal=str(portal.pk), since="2020-01-01", stdout=out, stderr=err)

    assert "150 transactions in 2 pages, 150 rows updated" in out.getvalue()
    assert "txn" in err.getvalue()  # the progress bar
    assert Payment.objects.filter(fee__isnull=True).count() == 0


def test_backfill_command_refuses_bad_arguments(stripe_hub, portal):
    with pytest.raises(CommandError, match="--portal"):
        call_command("sync_fees")
    with pytest.raises(CommandError, match="date"):
        call_command("sync_fees", portal=str(portal.pk), since="yesterday")
    with pytest.raises(CommandError, match="No connected"):
        call_command("sync_fees", portal=str(portal.pk))


def test_sync_now_runs_a_sync_for_super_admins_only(
    stripe_hub, portal, admin_client_, billing_client, django_capture_on_commit_callbacks
):
    account = fakestripe_account(stripe_hub, portal)
    payment = paid_payment(stripe_hub, account, amount=2_500)
    assert billing_client.post(reverse("payments:fee_sync_now")).status_code == 403

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(reverse("payments:fee_sync_now"))

    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.fee == stripe_fee(2_500)
    assert FeeSyncState.objects.get(account=account).last_success_at


def test_sync_now_without_stripe_explains_why(admin_client_, portal):
    response = admin_client_.post(reverse("payments:fee_sync_now"), follow=True)
    assert "Connect Stripe first" in response.content.decode()


def test_health_panel_shows_last_sync_waiting_and_mismatches_and_repairs_them(
    stripe_hub, portal, admin_client_, billing_client
):
    account = fakestripe_account(stripe_hub, portal)
    synced = paid_payment(stripe_hub, account, amount=3_000)
    refund(stripe_hub, synced, 500)
    fees.fees_sync_account(account=account)
    stripe_hub.configure(balance_transaction_delay=True)
    waiting = paid_payment(stripe_hub, account, amount=4_000)
    Payment.objects.filter(pk=synced.pk).update(refunded_amount=0)

    body = billing_client.get(reverse("payments:fee_health")).content.decode()
    assert "ago" in body
    assert 'data-testid="waiting">1<' in body
    assert 'data-testid="mismatched">1<' in body
    assert synced.charge_id in body
    assert "Sync now" not in body  # billing admins read, super admins act

    assert "Repair" in admin_client_.get(reverse("payments:fee_health")).content.decode()
    stripe_hub.settle_balance()
    response = admin_client_.post(reverse("payments:fee_repair"), follow=True)

    assert "Re-fetched 2 payment(s)" in response.content.decode()
    synced.refresh_from_db()
    waiting.refresh_from_db()
    assert synced.refunded_amount == 500 and synced.net == 3_000 - stripe_fee(3_000) - 500
    assert waiting.fee == stripe_fee(4_000)
    assert fee_checks.fee_health(portal=portal).mismatched == 0


def test_repair_of_one_payment_from_its_detail(stripe_hub, portal, admin_client_, rep_client):
    account = fakestripe_account(stripe_hub, portal)
    payment = paid_payment(stripe_hub, account, amount=9_900)
    url = reverse("payments:fee_repair_payment", args=[payment.pk])
    assert rep_client.post(url).status_code == 403

    response = admin_client_.post(url, follow=True)

    body = response.content.decode()
    assert "Re-fetched this payment" in body
    payment.refresh_from_db()
    assert payment.fee == stripe_fee(9_900)
    assert 'data-testid="fee-details"' in body and "Stripe processing fees" in body
    assert payment.balance_transaction_id in body


def test_repair_when_stripe_is_down_shows_a_message_not_an_error(
    stripe_hub, portal, admin_client_, settings
):
    settings.STRIPE_MAX_RETRIES = 0
    account = fakestripe_account(stripe_hub, portal)
    payment = paid_payment(stripe_hub, account, amount=1_000)
    stripe_hub.inject_failure("/v1/charges", "server_error", method="GET", count=3)

    response = admin_client_.post(
        reverse("payments:fee_repair_payment", args=[payment.pk]), follow=True
    )

    assert response.status_code == 200
    assert "Nothing was charged" in response.content.decode() or "could not" in (
        response.content.decode()
    )


def test_payment_detail_shows_gross_fee_net_and_balance_transaction_once_synced(
    stripe_hub, portal, billing_client
):
    account = fakestripe_account(stripe_hub, portal)
    payment = paid_payment(stripe_hub, account, amount=10_000)
    body = billing_client.get(reverse("payments:detail", args=[payment.pk])).content.decode()
    assert "Pending" in body

    fees.fees_sync_account(account=account)

    payment.refresh_from_db()
    body = billing_client.get(reverse("payments:detail", args=[payment.pk])).content.decode()
    assert "$100.00" in body and "\u2212$3.20" in body and "$96.80" in body
    assert payment.balance_transaction_id in body
    assert "Stripe processing fees" in body


# --- Done when: the demo's payments show their fees and appear on the reports page -------


def test_a_payment_made_through_the_demo_shows_its_fees_and_is_on_the_reports_page(
    stripe_hub, db, client_for, django_capture_on_commit_callbacks, settings
):
    settings.FEE_SYNC_REQUESTS_PER_SECOND = CONFIGURED_BUDGET  # as in `make dev`
    # Given the demo portal (`make dev` seeds it) with its Stripe account connected
    call_command("seed_demo", stdout=io.StringIO())
    portal = Portal.objects.get(name=DEMO_PORTAL)
    admin = User.objects.get(email="admin@example.com")
    accounts.onboarding_start(
        portal=portal,
        user=admin,
        ip="203.0.113.9",
        confirmed_us=True,
        accepted_terms=True,
        return_url="http://hub.test/r/",
        refresh_url="http://hub.test/f/",
    )
    account = StripeAccount.objects.get(portal=portal)
    stripe_hub.verify_account(account.stripe_id)
    assert accounts.account_refresh(account=account).status == AccountStatus.READY
    # And the rep's payment link for an onboarding workshop and two scanners
    workshop = Product.objects.get(portal=portal, sku="SVC-ONBOARD")
    scanner = Product.objects.get(portal=portal, sku="HW-SCAN-01")
    link = payment_link_create(
        portal=portal,
        user=User.objects.get(email="rep@example.com"),
        lines=[
            LineSpec(product_id=workshop.pk, quantity=1),
            LineSpec(product_id=scanner.pk, quantity=2),
        ],
        name="Demo offer",
    )

    # When a buyer pays it by card on the hosted checkout
    buyer = Client()
    checkout = start_checkout(buyer, link)
    assert confirm(stripe_hub, checkout)["status"] == "succeeded"
    with django_capture_on_commit_callbacks(execute=True):
        return_to_hub(buyer, link, checkout)
    payment = Payment.objects.get(portal=portal)
    gross = 150_000 + 2 * 34_900  # $2,198.00
    assert payment.amount == gross and payment.fee is None
    # And the beat's fee sync runs (as the worker does every minute)
    assert tasks.sync_fees_due() == 1

    # Then the payment detail shows its gross, Stripe's fee and details, net, and the
    # balance transaction
    billing = client_for(User.objects.get(email="billing@example.com"))
    payment.refresh_from_db()
    fee = stripe_fee(gross)  # 2.9% of 2,198.00 = 63.742 -> 63.74, + 0.30 = $64.04
    assert (fee, payment.fee, payment.net) == (6_404, 6_404, 213_396)
    body = billing.get(reverse("payments:detail", args=[payment.pk])).content.decode()
    assert "$2,198.00" in body and "\u2212$64.04" in body and "$2,133.96" in body
    assert "Stripe processing fees" in body and payment.balance_transaction_id in body
    # And the reports page counts it in this month, with its product margins
    response = billing.get(reverse("reports:index"))
    month = timezone.localdate(timezone=portal_tz(portal)).isoformat()[:7]
    row = next(r for r in response.context["report"].months if r.key == month)
    assert (row.count, row.gross, row.fees, row.net, row.awaiting_fees) == (
        1,
        gross,
        fee,
        gross - fee,
        0,
    )
    body = response.content.decode()
    assert "$2,198.00" in body and "Onboarding workshop" in body and "Hardware scanner" in body
    margins = {p.sku: p for p in response.context["report"].products}
    assert margins["SVC-ONBOARD"].cost == 40_000 and margins["HW-SCAN-01"].cost == 2 * 18_000
    assert sum(p.fees for p in margins.values()) == fee
