"""The payments tool's pages: list (filters, search, pagination, empty states, queries),
detail (amounts, card, ids, timeline) and who may see and refund what.

Payments are made two ways: `PaymentFactory` writes a row only (for list behaviour),
`paid_payment` (tests/payments/support.py) makes a real charge in fakestripe on a
verified connected account and records the Payment the way checkout would.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from commerce import money
from payments.models import Checkout, Payment, Refund, StripeEvent
from tests.factories import (
    CheckoutFactory,
    ContactFactory,
    PaymentFactory,
    StripeAccountFactory,
)
from tests.payments.support import fakestripe_account, paid_payment

# --- List -------------------------------------------------------------------------------


def test_not_connected_portal_sees_a_call_to_connect_stripe(billing_client, portal):
    response = billing_client.get(reverse("payments:index"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Connect Stripe to get paid" in body
    assert reverse("payments:settings") in body
    assert 'data-testid="stripe-status"' in body


def test_connected_portal_without_payments_explains_where_they_come_from(billing_client, portal):
    StripeAccountFactory(portal=portal)
    body = billing_client.get(reverse("payments:index")).content.decode()
    assert "No payments yet" in body
    assert "Connect Stripe to get paid" not in body


def test_list_shows_amount_status_buyer_source_card_and_date(stripe_hub, billing_client, portal):
    account = fakestripe_account(stripe_hub, portal)
    contact = ContactFactory(
        portal=portal, first_name="Maya", last_name="Lopez", email="maya@bright.test"
    )
    payment = paid_payment(stripe_hub, account, amount=123_450, contact=contact)
    PaymentFactory(
        portal=portal,
        account=account,
        status=Payment.Status.PARTIALLY_REFUNDED,
        refunded_amount=1_000,
    )
    PaymentFactory(portal=portal, account=account, status=Payment.Status.DISPUTED)
    PaymentFactory(portal=portal, account=account, status=Payment.Status.FAILED, paid_at=None)
    body = billing_client.get(reverse("payments:index")).content.decode()
    assert "$1,234.50" in body
    assert reverse("payments:detail", args=[payment.pk]) in body
    assert "Maya Lopez" in body and "maya@bright.test" in body
    assert "Payment link" in body
    assert "Visa</span> •••• 4242" in body
    for label in ("Succeeded", "Partially refunded", "Disputed", "Failed"):
        assert f">{label}</span>" in body
    assert "$10.00 refunded" in body


def test_list_filters_by_status_and_source(billing_client, portal):
    account = StripeAccountFactory(portal=portal)
    refunded = PaymentFactory(portal=portal, account=account, status=Payment.Status.REFUNDED)
    invoice = PaymentFactory(portal=portal, account=account, source=Payment.Source.INVOICE)
    plain = PaymentFactory(portal=portal, account=account)

    def listed(**params):
        page = billing_client.get(reverse("payments:index"), params).context["page_obj"]
        return {p.pk for p in page.object_list}

    assert listed() == {refunded.pk, invoice.pk, plain.pk}
    assert listed(status="refunded") == {refunded.pk}
    assert listed(source="invoice") == {invoice.pk}
    assert listed(status="succeeded", source="payment_link") == {plain.pk}


def test_date_range_is_whole_days_in_the_portals_time_zone(billing_client, portal):
    portal.time_zone = "America/New_York"
    portal.save()
    account = StripeAccountFactory(portal=portal)
    # 11:30 PM on March 9 in New York is already March 10 in UTC.
    with time_machine.travel(datetime(2026, 3, 10, 3, 30, tzinfo=UTC), tick=False):
        late_on_9th = PaymentFactory(portal=portal, account=account)
    with time_machine.travel(datetime(2026, 3, 10, 15, 0, tzinfo=UTC), tick=False):
        on_10th = PaymentFactory(portal=portal, account=account)

    def listed(**params):
        page = billing_client.get(reverse("payments:index"), params).context["page_obj"]
        return {p.pk for p in page.object_list}

    assert listed(date_from="2026-03-09", date_to="2026-03-09") == {late_on_9th.pk}
    assert listed(date_from="2026-03-10") == {on_10th.pk}
    assert listed(date_to="2026-03-10") == {late_on_9th.pk, on_10th.pk}


def test_bad_dates_get_a_message_and_the_other_filters_still_apply(billing_client, portal):
    account = StripeAccountFactory(portal=portal)
    PaymentFactory(portal=portal, account=account)
    refunded = PaymentFactory(portal=portal, account=account, status=Payment.Status.REFUNDED)
    response = billing_client.get(
        reverse("payments:index"), {"date_from": "03/32/2026", "status": "refunded"}
    )
    assert response.status_code == 200
    assert "Enter the start date as YYYY-MM-DD." in response.content.decode()
    assert [p.pk for p in response.context["page_obj"].object_list] == [refunded.pk]

    response = billing_client.get(
        reverse("payments:index"), {"date_from": "2026-03-10", "date_to": "2026-03-01"}
    )
    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()
    # an unknown status or a page number that isn't one never fails the page
    for params in ({"status": "bogus"}, {"page": "x"}, {"page": "999"}, {"source": "<script>"}):
        assert billing_client.get(reverse("payments:index"), params).status_code == 200


def test_search_by_buyer_email_or_stripe_id(billing_client, portal):
    account = StripeAccountFactory(portal=portal)
    maya = PaymentFactory(
        portal=portal,
        account=account,
        contact=ContactFactory(portal=portal, email="maya@bright.test"),
    )
    PaymentFactory(
        portal=portal,
        account=account,
        contact=ContactFactory(portal=portal, email="jon@other.test"),
    )
    by_id = PaymentFactory(portal=portal, account=account, payment_intent_id="pi_FINDME123")

    def listed(q):
        page = billing_client.get(reverse("payments:index"), {"q": q}).context["page_obj"]
        return {p.pk for p in page.object_list}

    assert listed("BRIGHT.test") == {maya.pk}
    assert listed("pi_FINDME123") == {by_id.pk}
    assert listed(by_id.charge_id) == {by_id.pk}
    assert listed("nobody@") == set()
    body = billing_client.get(reverse("payments:index"), {"q": "nobody@"}).content.decode()
    assert "No payments match these filters" in body


def test_pagination_is_25_a_page_and_keeps_the_filters(billing_client, portal):
    account = StripeAccountFactory(portal=portal)
    for _ in range(30):
        PaymentFactory(portal=portal, account=account, status=Payment.Status.REFUNDED)
    PaymentFactory(portal=portal, account=account)
    first = billing_client.get(reverse("payments:index"), {"status": "refunded"})
    assert len(first.context["page_obj"].object_list) == 25
    assert "Showing 1\u201325 of 30" in first.content.decode()
    assert "status=refunded&amp;page=2" in first.content.decode()
    second = billing_client.get(reverse("payments:index"), {"status": "refunded", "page": 2})
    assert len(second.context["page_obj"].object_list) == 5


def test_list_costs_the_same_queries_for_3_or_25_payments(
    billing_client, portal, django_assert_max_num_queries
):
    account = StripeAccountFactory(portal=portal)
    for _ in range(3):
        PaymentFactory(portal=portal, account=account, contact=ContactFactory(portal=portal))
    billing_client.get(reverse("payments:index"))  # warm the session and caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        billing_client.get(reverse("payments:index"))
    for _ in range(22):
        PaymentFactory(portal=portal, account=account, contact=ContactFactory(portal=portal))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = billing_client.get(reverse("payments:index"), {"q": "example.org"})
    assert len(response.context["page_obj"].object_list) == 25


def test_list_shows_only_this_portals_payments(billing_client, portal, other_portal):
    mine = PaymentFactory(portal=portal, account=StripeAccountFactory(portal=portal))
    theirs = PaymentFactory(portal=other_portal, account=StripeAccountFactory(portal=other_portal))
    page = billing_client.get(reverse("payments:index")).context["page_obj"]
    assert [p.pk for p in page.object_list] == [mine.pk]
    searched = billing_client.get(reverse("payments:index"), {"q": theirs.payment_intent_id})
    assert list(searched.context["page_obj"].object_list) == []
    assert reverse("payments:detail", args=[theirs.pk]) not in searched.content.decode()


def test_anonymous_is_sent_to_sign_in(client, portal):
    response = client.get(reverse("payments:index"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# --- Detail -----------------------------------------------------------------------------


def test_detail_shows_amounts_with_pending_fees_card_ids_and_buyer_link(
    stripe_hub, billing_client, portal
):
    account = fakestripe_account(stripe_hub, portal)
    contact = ContactFactory(portal=portal, first_name="Maya", last_name="Lopez")
    payment = paid_payment(
        stripe_hub, account, amount=12_000, contact=contact, application_fee_amount=240
    )
    response = billing_client.get(reverse("payments:detail", args=[payment.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "$120.00" in body
    assert "Pending" in body  # fee and net are not synced yet: never $0.00
    assert 'Stripe fee</dt><dd class="num">$0.00' not in body
    assert "\u2212$2.40" in body  # application fee
    assert "Visa •••• 4242" in body
    assert payment.payment_intent_id in body and payment.charge_id in body
    assert contact.get_absolute_url() in body
    assert "Refund this payment" in body  # billing admins may refund


def test_detail_shows_synced_fee_and_net(billing_client, portal):
    payment = PaymentFactory(
        portal=portal,
        account=StripeAccountFactory(portal=portal),
        amount=10_000,
        fee=320,
        net=9_680,
    )
    body = billing_client.get(reverse("payments:detail", args=[payment.pk])).content.decode()
    assert "\u2212$3.20" in body
    assert "$96.80" in body
    assert "Pending</span>" not in body


def test_timeline_lists_payment_refunds_dispute_and_failed_attempts(
    billing_client, portal, super_admin
):
    account = StripeAccountFactory(portal=portal)
    payment = PaymentFactory(
        portal=portal,
        account=account,
        amount=10_000,
        refunded_amount=2_500,
        status=Payment.Status.DISPUTED,
        dispute_id="dp_1",
        dispute_status="needs_response",
        dispute_reason="product_not_received",
        disputed_at=timezone.now(),
    )
    Refund.objects.create(
        portal=portal,
        payment=payment,
        amount=2_500,
        reason="duplicate",
        status="succeeded",
        stripe_id="re_1",
        idempotency_key="k1",
        created_by=super_admin,
    )
    Refund.objects.create(
        portal=portal,
        payment=payment,
        amount=1_000,
        status="failed",
        idempotency_key="k2",
        failure_message="Stripe refused this refund, so nothing was refunded.",
    )
    StripeEvent.objects.create(
        stripe_id="evt_fail_1",
        type="payment_intent.payment_failed",
        account=account.stripe_id,
        portal=portal,
        created=timezone.now(),
        payload={
            "data": {
                "object": {
                    "id": payment.payment_intent_id,
                    "object": "payment_intent",
                    "last_payment_error": {"message": "Your card was declined."},
                }
            }
        },
    )
    StripeEvent.objects.create(
        stripe_id="evt_other_pi",
        type="payment_intent.payment_failed",
        account=account.stripe_id,
        portal=portal,
        created=timezone.now(),
        payload={
            "data": {
                "object": {"id": "pi_someone_else", "last_payment_error": {"message": "Not ours"}}
            }
        },
    )
    response = billing_client.get(reverse("payments:detail", args=[payment.pk]))
    titles = [e.title for e in response.context["timeline"]]
    assert "Paid $100.00" in titles
    assert "Refunded $25.00" in titles
    assert "Refund of $10.00 failed" in titles
    assert "Buyer disputed the payment" in titles
    assert "Payment attempt failed" in titles
    body = response.content.decode()
    assert "Your card was declined." in body
    assert "Not ours" not in body
    assert "product not received" in body
    # disputed: no refund dialog, and why
    assert "Refund this payment" not in body
    assert "respond to the dispute in Stripe" in body


def test_another_portals_payment_is_404_for_detail_and_refund(billing_client, other_portal):
    theirs = PaymentFactory(portal=other_portal, account=StripeAccountFactory(portal=other_portal))
    assert billing_client.get(reverse("payments:detail", args=[theirs.pk])).status_code == 404
    response = billing_client.post(
        reverse("payments:refund", args=[theirs.pk]),
        {"amount": "10.00", "reason": "duplicate", "attempt": str(uuid.uuid4())},
    )
    assert response.status_code == 404
    assert not Refund.objects.exists()


@pytest.mark.parametrize("missing", [999_999])
def test_unknown_payment_is_404(billing_client, portal, missing):
    assert billing_client.get(reverse("payments:detail", args=[missing])).status_code == 404


def test_sales_rep_sees_payments_but_cannot_refund(rep_client, portal):
    payment = PaymentFactory(portal=portal, account=StripeAccountFactory(portal=portal))
    assert rep_client.get(reverse("payments:index")).status_code == 200
    body = rep_client.get(reverse("payments:detail", args=[payment.pk])).content.decode()
    assert "Refund this payment" not in body
    assert 'data-open-dialog="refund-dialog"' not in body
    response = rep_client.post(
        reverse("payments:refund", args=[payment.pk]),
        {"amount": "10.00", "reason": "duplicate", "attempt": str(uuid.uuid4())},
    )
    assert response.status_code == 403
    assert not Refund.objects.exists()


def test_super_admin_sees_the_refund_button(admin_client_, portal):
    payment = PaymentFactory(portal=portal, account=StripeAccountFactory(portal=portal))
    body = admin_client_.get(reverse("payments:detail", args=[payment.pk])).content.decode()
    assert 'data-open-dialog="refund-dialog"' in body


def test_refund_is_post_only(billing_client, portal):
    payment = PaymentFactory(portal=portal, account=StripeAccountFactory(portal=portal))
    assert billing_client.get(reverse("payments:refund", args=[payment.pk])).status_code == 405


def test_timeline_reads_in_the_order_things_happened(billing_client, portal):
    # Given a buyer who started paying ten minutes ago, was declined five minutes ago,
    # then paid with another card (the payment row is written when it succeeds)
    account = StripeAccountFactory(portal=portal)
    now = timezone.now()
    checkout = CheckoutFactory(portal=portal)
    Checkout.objects.filter(pk=checkout.pk).update(created_at=now - timedelta(minutes=10))
    payment = PaymentFactory(portal=portal, account=account, checkout=checkout, paid_at=now)
    StripeEvent.objects.create(
        stripe_id="evt_declined_first",
        type="payment_intent.payment_failed",
        account=account.stripe_id,
        portal=portal,
        created=now - timedelta(minutes=5),
        payload={"data": {"object": {"id": payment.payment_intent_id}}},
    )
    response = billing_client.get(reverse("payments:detail", args=[payment.pk]))
    titles = [e.title for e in response.context["timeline"]]
    # Then the timeline reads newest first: paid, the failed attempt, started
    assert titles == [
        f"Paid {money.format_cents(payment.amount)}",
        "Payment attempt failed",
        "Payment started",
    ]
