"""Refunds against fakestripe: from the hub (full, partial, limits, double submit, Stripe
failures) and from Stripe's dashboard (arriving by webhook)."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from django.urls import reverse

from payments.fees import services as fees
from payments.ledger import refunds
from payments.models import Payment, Refund, StripeAccount
from tests.factories import PaymentFactory, StripeAccountFactory
from tests.payments.support import fakestripe_account, paid_payment, stripe_fee, stripe_refunds


@pytest.fixture
def paid(stripe_hub, portal):
    """A $50.00 payment really charged in fakestripe."""
    return paid_payment(stripe_hub, fakestripe_account(stripe_hub, portal), amount=5_000)


def text(response) -> str:
    return html.unescape(response.content.decode())


def refund_post(client, payment, amount, *, reason="requested_by_customer", note="", attempt=None):
    return client.post(
        reverse("payments:refund", args=[payment.pk]),
        {"amount": amount, "reason": reason, "note": note, "attempt": attempt or str(uuid.uuid4())},
    )


def test_full_refund_from_the_hub(stripe_hub, billing_client, billing_admin, paid):
    response = refund_post(billing_client, paid, "50.00", note="Cancelled order")
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:detail", args=[paid.pk])
    paid.refresh_from_db()
    assert paid.status == Payment.Status.REFUNDED
    assert paid.refunded_amount == 5_000
    refund = Refund.objects.get(payment=paid)
    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.amount == 5_000
    assert refund.reason == "requested_by_customer"
    assert refund.note == "Cancelled order"
    assert refund.created_by == billing_admin
    assert refund.stripe_id.startswith("re_")
    assert refund.idempotency_key.startswith(f"refund:{paid.payment_intent_id}:")
    [at_stripe] = stripe_refunds(stripe_hub, paid)
    assert at_stripe.id == refund.stripe_id
    assert at_stripe.amount == 5_000
    assert at_stripe.metadata["hub_refund"] == str(refund.pk)
    page = text(billing_client.get(response["Location"]))
    assert "Refunded $50.00" in page
    assert "Fully refunded." in page  # no second refund offered


def test_partial_refund_leaves_the_rest_refundable(stripe_hub, admin_client_, paid):
    assert refund_post(admin_client_, paid, "12.50", reason="duplicate").status_code == 302
    paid.refresh_from_db()
    assert paid.status == Payment.Status.PARTIALLY_REFUNDED
    assert paid.refunded_amount == 1_250
    assert refunds.refundable_now(paid) == 3_750
    page = admin_client_.get(reverse("payments:detail", args=[paid.pk]))
    assert (
        page.context["refund_form"]["amount"].value() == "37.50"
    )  # the dialog defaults to the rest
    assert "Up to $37.50" in text(page)


def test_two_partials_then_over_the_limit_is_refused(stripe_hub, billing_client, paid):
    assert refund_post(billing_client, paid, "20.00").status_code == 302
    assert refund_post(billing_client, paid, "20.00").status_code == 302
    response = refund_post(billing_client, paid, "10.01")
    assert response.status_code == 400
    assert "You can refund at most $10.00." in text(response)
    assert "data-open-on-load" in text(response)  # the dialog stays open
    paid.refresh_from_db()
    assert paid.refunded_amount == 4_000
    assert paid.status == Payment.Status.PARTIALLY_REFUNDED
    assert len(stripe_refunds(stripe_hub, paid)) == 2
    assert Refund.objects.filter(payment=paid).count() == 2
    # the exact remainder is fine and completes the refund
    assert refund_post(billing_client, paid, "10.00").status_code == 302
    paid.refresh_from_db()
    assert paid.status == Payment.Status.REFUNDED


def test_more_than_the_payment_is_refused_and_nothing_is_sent(stripe_hub, billing_client, paid):
    stripe_hub.reset_stats()
    response = refund_post(billing_client, paid, "50.01")
    assert response.status_code == 400
    assert "You can refund at most $50.00." in text(response)
    assert not Refund.objects.exists()
    assert stripe_hub.stats()["calls"].get("POST /v1/refunds") is None
    paid.refresh_from_db()
    assert paid.refunded_amount == 0 and paid.status == Payment.Status.SUCCEEDED


def test_a_refused_refund_keeps_what_was_typed_and_the_corrected_one_saves_it_as_typed(
    stripe_hub, billing_client, paid
):
    # Given a refund of more than the payment, refused by the service
    response = refund_post(billing_client, paid, "500", reason="", note="Goodwill credit")
    assert response.status_code == 400
    assert "You can refund at most $50.00." in text(response)
    # Then the form shows the values as typed, not as lists
    form = response.context["refund_form"]
    assert form["amount"].value() == "500"
    assert form["note"].value() == "Goodwill credit"
    body = text(response)
    assert 'value="500"' in body and "\nGoodwill credit</textarea>" in body
    assert "['" not in body
    # When the admin corrects the amount and sends the form back as the page shows it
    response = refund_post(
        billing_client,
        paid,
        "5.00",
        reason=form["reason"].value(),
        note=form["note"].value(),
        attempt=form["attempt"].value(),
    )
    # Then the refund is made and its note is the text typed
    assert response.status_code == 302
    refund = Refund.objects.get(payment=paid)
    assert (refund.amount, refund.note) == (500, "Goodwill credit")


def shown_net(client, payment) -> str:
    page = text(client.get(reverse("payments:detail", args=[payment.pk])))
    [net] = re.findall(r'data-testid="net">(.*?)</dd>', page)
    return re.sub(r"<[^>]+>", "", net).strip()


def test_net_counts_a_refund_at_once_and_is_pending_until_stripe_reports_it(
    stripe_hub, billing_client, paid, settings
):
    settings.FEE_SYNC_REQUESTS_PER_SECOND = 0
    account = StripeAccount.objects.get(stripe_id=paid.stripe_account_id)
    fee = stripe_fee(5_000)  # $1.75
    # Before Stripe reports the fee: gross less refunds so far, pending
    assert shown_net(billing_client, paid) == "$50.00 Pending"
    fees.fees_sync_account(account=account)
    assert shown_net(billing_client, paid) == "$48.25"
    # When $20.00 is refunded from the hub
    assert refund_post(billing_client, paid, "20.00").status_code == 302
    # Then the net drops at once, pending until the next fee sync
    assert shown_net(billing_client, paid) == "$28.25 Pending"
    report = billing_client.get(reverse("reports:index")).context["report"]
    assert (report.total.net, report.total.awaiting_fees) == (5_000 - fee - 2_000, 1)
    # And once Stripe reports the refund it is Stripe's figure, no longer pending
    fees.fees_sync_account(account=account)
    paid.refresh_from_db()
    assert (paid.net, paid.stripe_refunded) == (5_000 - fee - 2_000, 2_000)
    assert shown_net(billing_client, paid) == "$28.25"
    report = billing_client.get(reverse("reports:index")).context["report"]
    assert (report.total.net, report.total.awaiting_fees) == (5_000 - fee - 2_000, 0)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "The amount must be more than zero."),
        ("0.00", "The amount must be more than zero."),
        ("-5", "The amount cannot be negative."),
        ("", "Enter the amount to refund."),
        ("ten", "is not an amount"),
        ("1.005", "Use at most 2 decimal places."),
    ],
)
def test_bad_amounts_are_refused_with_a_message(stripe_hub, billing_client, paid, amount, message):
    response = refund_post(billing_client, paid, amount)
    assert response.status_code == 400
    assert message in text(response)
    assert not Refund.objects.exists()
    assert stripe_refunds(stripe_hub, paid) == []


def test_service_refuses_zero_and_negative(paid, billing_admin):
    for amount in (0, -100):
        with pytest.raises(refunds.RefundError, match="more than zero"):
            refunds.payment_refund(
                payment=paid,
                amount=amount,
                reason="",
                note="x",
                user=billing_admin,
                attempt=str(uuid.uuid4()),
            )
    assert not Refund.objects.exists()


def test_other_reason_needs_a_note(stripe_hub, billing_client, paid):
    response = refund_post(billing_client, paid, "5.00", reason="", note="")
    assert response.status_code == 400
    assert "Say why you are refunding" in text(response)
    assert refund_post(billing_client, paid, "5.00", reason="", note="Goodwill").status_code == 302


def test_submitting_the_same_form_twice_refunds_once(stripe_hub, billing_client, paid):
    attempt = str(uuid.uuid4())
    first = refund_post(billing_client, paid, "20.00", attempt=attempt)
    second = refund_post(billing_client, paid, "20.00", attempt=attempt)
    assert first.status_code == second.status_code == 302
    assert len(stripe_refunds(stripe_hub, paid)) == 1
    assert Refund.objects.filter(payment=paid).count() == 1
    paid.refresh_from_db()
    assert paid.refunded_amount == 2_000


def test_a_retry_after_a_crash_resends_the_same_key(stripe_hub, billing_admin, paid, monkeypatch):
    """The pending row is committed before Stripe is called: a crash after Stripe made the
    refund, and a retry of the same form, end with one refund at Stripe."""
    attempt = str(uuid.uuid4())
    real_record = refunds._refund_record

    def crash(**kwargs):
        raise RuntimeError("worker died after Stripe answered")

    monkeypatch.setattr(refunds, "_refund_record", crash)
    with pytest.raises(RuntimeError):
        refunds.payment_refund(
            payment=paid, amount=1_000, reason="", note="x", user=billing_admin, attempt=attempt
        )
    pending = Refund.objects.get(payment=paid)
    assert pending.status == Refund.Status.PENDING and pending.stripe_id is None
    # while it is in flight, its amount is reserved
    assert refunds.refundable_now(paid) == 4_000
    monkeypatch.setattr(refunds, "_refund_record", real_record)
    refund = refunds.payment_refund(
        payment=paid, amount=1_000, reason="", note="x", user=billing_admin, attempt=attempt
    )
    assert refund.pk == pending.pk
    assert refund.status == Refund.Status.SUCCEEDED
    assert len(stripe_refunds(stripe_hub, paid)) == 1


def test_stripe_failure_gives_a_clear_message_and_refunds_nothing(
    stripe_hub, billing_client, settings, paid
):
    settings.STRIPE_MAX_RETRIES = 1
    stripe_hub.inject_failure("/v1/refunds", "server_error", count=5)
    response = refund_post(billing_client, paid, "50.00")
    assert response.status_code == 400
    body = text(response)
    assert "Stripe didn't answer" in body
    assert "nothing is counted as refunded" in body
    assert "Traceback" not in body and "sk_test" not in body
    paid.refresh_from_db()
    assert paid.refunded_amount == 0
    assert paid.status == Payment.Status.SUCCEEDED
    refund = Refund.objects.get(payment=paid)
    assert refund.status == Refund.Status.FAILED  # kept for the record, counted nowhere
    assert refund.stripe_id is None
    stripe_hub.clear_failures()
    assert stripe_refunds(stripe_hub, paid) == []
    # the form comes back with a fresh token, so sending it again works once Stripe answers
    fresh = response.context["refund_form"]["attempt"].value()
    assert fresh != refund.idempotency_key.rsplit(":", 1)[1]
    assert refund_post(billing_client, paid, "50.00", attempt=fresh).status_code == 302
    paid.refresh_from_db()
    assert paid.status == Payment.Status.REFUNDED


def test_stripe_refusing_the_refund_is_explained(stripe_hub, billing_client, paid):
    # Stripe knows of a refund the hub doesn't (its webhook hasn't arrived yet).
    stripe_hub.client(paid.stripe_account_id).v1.refunds.create(
        {"charge": paid.charge_id, "amount": 4_000}, {"idempotency_key": "dash-1"}
    )
    response = refund_post(billing_client, paid, "20.00")
    assert response.status_code == 400
    assert "less is left to refund than the hub shows" in text(response)
    paid.refresh_from_db()
    assert paid.refunded_amount == 0


def test_disputed_or_unfinished_payments_cannot_be_refunded(billing_client, billing_admin, portal):
    account = StripeAccountFactory(portal=portal)
    disputed = PaymentFactory(
        portal=portal, account=account, status=Payment.Status.DISPUTED, dispute_id="dp_1"
    )
    processing = PaymentFactory(portal=portal, account=account, status=Payment.Status.PROCESSING)
    failed = PaymentFactory(portal=portal, account=account, status=Payment.Status.FAILED)
    response = refund_post(billing_client, disputed, "1.00")
    assert response.status_code == 400
    assert "Stripe doesn't allow refunds while a dispute is open" in text(response)
    for payment in (processing, failed):
        with pytest.raises(refunds.RefundError, match="Only a completed payment"):
            refunds.payment_refund(
                payment=payment,
                amount=100,
                reason="",
                note="x",
                user=billing_admin,
                attempt=str(uuid.uuid4()),
            )
    assert not Refund.objects.exists()


def test_expired_form_token_is_refused(stripe_hub, billing_client, paid):
    response = refund_post(billing_client, paid, "5.00", attempt="not-a-token")
    assert response.status_code == 400
    assert "This refund form has expired" in text(response)
    assert not Refund.objects.exists()


# --- Refunds made in Stripe's dashboard ---------------------------------------------------


def test_refund_made_in_stripe_arrives_by_webhook(
    hub_webhooks, stripe_hub, portal, billing_client, transactional_db
):
    payment = paid_payment(stripe_hub, fakestripe_account(stripe_hub, portal), amount=8_000)
    stripe_hub.client(payment.stripe_account_id).v1.refunds.create(
        {"charge": payment.charge_id, "amount": 3_000, "reason": "duplicate"},
        {"idempotency_key": "dashboard-refund-1"},
    )
    stripe_hub.flush_webhooks()
    payment.refresh_from_db()
    assert payment.refunded_amount == 3_000
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    refund = Refund.objects.get(payment=payment)  # refund.created and charge.refunded: one row
    assert refund.amount == 3_000
    assert refund.reason == "duplicate"
    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.made_in_stripe
    body = text(billing_client.get(reverse("payments:detail", args=[payment.pk])))
    assert "Stripe dashboard" in body
    assert "in Stripe's dashboard" in body  # the timeline says where it came from


def test_webhooks_about_our_own_refunds_add_no_rows(stripe_hub, billing_client, paid):
    """A dashboard refund, then the rest from the hub; the syncs that refund.created and
    charge.refunded trigger (run twice here, as duplicates would) change nothing more."""
    stripe_hub.client(paid.stripe_account_id).v1.refunds.create(
        {"charge": paid.charge_id, "amount": 1_000}, {"idempotency_key": "dashboard-refund-2"}
    )
    refunds.payment_sync_refunds(payment=paid)
    paid.refresh_from_db()
    assert refund_post(billing_client, paid, "40.00").status_code == 302
    for _ in range(2):
        refunds.payment_sync_refunds(payment=paid)
    paid.refresh_from_db()
    assert paid.status == Payment.Status.REFUNDED
    assert paid.refunded_amount == 5_000
    assert Refund.objects.filter(payment=paid).count() == 2
    assert Refund.objects.filter(payment=paid, idempotency_key__isnull=True).count() == 1


def test_webhook_records_a_hub_refund_whose_answer_was_lost(
    stripe_hub, billing_admin, paid, monkeypatch
):
    """Stripe made the refund but the hub never recorded the answer: the webhook's sync
    finds our pending row by the metadata we sent, instead of adding a second one."""
    monkeypatch.setattr(
        refunds, "_refund_record", lambda **kw: (_ for _ in ()).throw(RuntimeError("lost"))
    )
    with pytest.raises(RuntimeError):
        refunds.payment_refund(
            payment=paid,
            amount=2_000,
            reason="",
            note="x",
            user=billing_admin,
            attempt=str(uuid.uuid4()),
        )
    refunds.payment_sync_refunds(payment=paid)
    refund = Refund.objects.get(payment=paid)
    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.stripe_id
    paid.refresh_from_db()
    assert paid.refunded_amount == 2_000
    assert paid.status == Payment.Status.PARTIALLY_REFUNDED
