"""The Payouts tool: who sees it, filters, another portal's payouts, constant queries
whatever the size of the list or of a payout, and the backfill command."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from payments.models import Payout
from payments.payouts import services as payouts
from payments.payouts.selectors import payout_detail
from tests.factories import (
    CheckoutFactory,
    InvoiceFactory,
    PaymentFactory,
    QuoteFactory,
    StripeAccountFactory,
)
from tests.payments.support import fakestripe_account, make_link, paid_payment

pytestmark = pytest.mark.django_db

DAY = 86_400
CREATED = int(datetime(2026, 3, 2, tzinfo=UTC).timestamp())


def make_payout(account, *, n: int, status: str = "paid", day: int = 0, **fields) -> Payout:
    """A payout of `n` known payments of its account (rows only), itemised."""
    stripe_payout = {
        "id": f"po_{account.pk}_{day}_{n}",
        "amount": 0,
        "currency": "usd",
        "status": status,
        "arrival_date": CREATED + (day + 1) * DAY,
        "created": CREATED + day * DAY,
        "method": "standard",
        "automatic": True,
        "destination": {"id": "ba_1", "bank_name": "STRIPE TEST BANK", "last4": "6789"},
        **fields,
    }
    transactions = []
    for i in range(n):
        payment = PaymentFactory(
            portal=account.portal,
            account=account,
            amount=1_000 + i,
            checkout=CheckoutFactory(portal=account.portal) if i % 2 else None,
        )
        transactions.append(
            {
                "id": f"txn_{stripe_payout['id']}_{i}",
                "type": "charge",
                "amount": payment.amount,
                "fee": 59,
                "net": payment.amount - 59,
                "source": payment.charge_id,
                "created": CREATED + day * DAY - 1000 + i,
            }
        )
    stripe_payout["amount"] = sum(t["net"] for t in transactions)
    (payout,) = payouts.payouts_upsert(account=account, payouts=[stripe_payout])
    if status == "paid":
        payouts.payout_record_lines(payout=payout, transactions=transactions)
    return payout


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_billing_and_super_admins_see_payouts_sales_reps_are_refused(
    portal, admin_client_, billing_client, rep_client
):
    account = StripeAccountFactory(portal=portal)
    payout = make_payout(account, n=2)
    for client in (admin_client_, billing_client):
        assert client.get(reverse("payments:payouts")).status_code == 200
        assert client.get(reverse("payments:payout_detail", args=[payout.pk])).status_code == 200
        assert b">Payouts</a>" in client.get(reverse("payments:index")).content
    assert rep_client.get(reverse("payments:payouts")).status_code == 403
    detail = rep_client.get(reverse("payments:payout_detail", args=[payout.pk]))
    assert detail.status_code == 403
    assert b"Payouts" not in rep_client.get(reverse("payments:index")).content


def test_another_portals_payout_is_a_404(portal, other_portal, billing_client):
    mine = make_payout(StripeAccountFactory(portal=portal), n=1)
    theirs = make_payout(StripeAccountFactory(portal=other_portal), n=1)
    assert billing_client.get(reverse("payments:payout_detail", args=[mine.pk])).status_code == 200
    response = billing_client.get(reverse("payments:payout_detail", args=[theirs.pk]))
    assert response.status_code == 404
    listing = billing_client.get(reverse("payments:payouts"))
    assert theirs.stripe_id.encode() not in listing.content
    assert listing.content.count(b'data-testid="payout-row"') == 1


def test_the_list_filters_by_status_and_arrival_date_and_refuses_bad_dates_gently(
    portal, billing_client
):
    account = StripeAccountFactory(portal=portal)
    paid = make_payout(account, n=1, day=0)
    failed = make_payout(
        account, n=1, day=3, status="failed", failure_code="no_account", failure_message="Nope"
    )
    url = reverse("payments:payouts")
    only_failed = billing_client.get(url, {"status": "failed"}).content
    assert only_failed.count(b'data-testid="payout-row"') == 1 and b"Nope" in only_failed
    later = billing_client.get(url, {"arrival_from": failed.arrival_date.isoformat()}).content
    assert later.count(b'data-testid="payout-row"') == 1
    earlier = billing_client.get(url, {"arrival_to": paid.arrival_date.isoformat()}).content
    assert earlier.count(b'data-testid="payout-row"') == 1
    bad = billing_client.get(url, {"arrival_from": "tomorrow", "status": "nonsense"})
    assert bad.status_code == 200
    assert b"Enter the start date as YYYY-MM-DD." in bad.content
    assert bad.content.count(b'data-testid="payout-row"') == 2


def test_the_list_runs_the_same_queries_for_one_payout_or_twenty_five(portal, billing_client):
    account = StripeAccountFactory(portal=portal)
    make_payout(account, n=1)
    url = reverse("payments:payouts")
    billing_client.get(url)  # warm the session and the portal's caches
    one = queries(billing_client, url)
    for day in range(1, 25):
        make_payout(account, n=1, day=day)
    assert queries(billing_client, url) == one


def test_the_detail_runs_the_same_queries_for_two_lines_or_two_hundred(portal, billing_client):
    account = StripeAccountFactory(portal=portal)
    small = make_payout(account, n=2, day=0)
    big = make_payout(account, n=200, day=1)
    billing_client.get(reverse("payments:payout_detail", args=[small.pk]))
    few = queries(billing_client, reverse("payments:payout_detail", args=[small.pk]))
    many = queries(billing_client, reverse("payments:payout_detail", args=[big.pk]))
    assert many == few
    page = billing_client.get(reverse("payments:payout_detail", args=[big.pk])).content
    assert page.count(b'data-testid="payout-line"') == 200
    assert b'data-testid="adds-up"' in page


def test_backfill_command_syncs_a_portal_and_shows_progress(stripe_hub, portal, capsys, settings):
    settings.FEE_SYNC_REQUESTS_PER_SECOND = 10_000
    account = fakestripe_account(stripe_hub, portal)
    now = stripe_hub.now()
    stripe_hub.advance_clock(DAY - now % DAY + 60)
    paid_payment(stripe_hub, account, amount=4_000)
    stripe_hub.advance_clock(3 * DAY)

    call_command("sync_payouts", "--portal", str(portal.pk))

    out, err = capsys.readouterr()
    assert "1 payouts listed, 1 lines itemised, 2 Stripe calls" in out
    assert "payout" in err  # the progress bar
    assert Payout.objects.get(portal=portal).reconciled
    with pytest.raises(CommandError, match="--portal"):
        call_command("sync_payouts")
    with pytest.raises(CommandError, match="date like"):
        call_command("sync_payouts", "--portal", str(portal.pk), "--since", "yesterday")
    with pytest.raises(CommandError, match="No portal"):
        call_command("sync_payouts", "--portal", "999999")


def test_each_line_links_to_the_invoice_quote_or_link_its_payment_paid(portal, other_portal):
    account = StripeAccountFactory(portal=portal)
    invoice = InvoiceFactory(portal=portal, number=42, number_prefix="INV-")
    quote = QuoteFactory(portal=portal)
    foreign = QuoteFactory(portal=other_portal)
    link = make_link(portal, name="Spring offer")
    sources = [
        ("invoice", {"document_id": invoice.pk}),
        ("quote", {"document_id": quote.pk}),
        ("quote", {"document_id": foreign.pk}),  # another portal's: never linked
        ("payment_link", {"payment_link": link}),
    ]
    transactions = []
    for i, (source, fields) in enumerate(sources):
        checkout = CheckoutFactory(portal=portal, source=source, **fields)
        payment = PaymentFactory(portal=portal, account=account, source=source, checkout=checkout)
        transactions.append(
            {
                "id": f"txn_origin_{i}",
                "type": "charge",
                "amount": payment.amount,
                "fee": 0,
                "net": payment.amount,
                "source": payment.charge_id,
                "created": CREATED + i,
            }
        )
    (payout,) = payouts.payouts_upsert(
        account=account,
        payouts=[
            {
                "id": "po_origins",
                "amount": sum(t["net"] for t in transactions),
                "status": "paid",
                "arrival_date": CREATED + DAY,
                "created": CREATED,
                "destination": "ba_1",
            }
        ],
    )
    payouts.payout_record_lines(payout=payout, transactions=transactions)

    rows = payout_detail(payout=payout).rows

    found = [(r.origin.kind, r.origin.label, r.origin.url) if r.origin else None for r in rows]
    assert found == [
        ("Invoice", "INV-0042", reverse("invoices:detail", args=[invoice.pk])),
        ("Quote", quote.display_number, reverse("quotes:detail", args=[quote.pk])),
        None,
        ("Payment link", "Spring offer", reverse("payment_links:detail", args=[link.pk])),
    ]
