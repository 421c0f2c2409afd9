"""Disputes against fakestripe: charge.dispute.created marks the payment Disputed and
e-mails the portal's admins once; closing it as won puts the payment back. Also what
happens to events about payments the hub hasn't recorded."""

from __future__ import annotations

import time
import uuid

import requests
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from payments.ledger import refunds
from payments.models import Payment, StripeEvent
from payments.webhooks import services as webhooks
from tests.factories import CheckoutFactory, PaymentFactory, StripeAccountFactory
from tests.payments.signing import signature_header
from tests.payments.support import fakestripe_account, paid_payment


def test_dispute_marks_the_payment_disputed_and_mails_the_portal_once(
    hub_webhooks,
    stripe_hub,
    portal,
    super_admin,
    billing_admin,
    sales_rep,
    settings,
    transactional_db,
):
    payment = paid_payment(stripe_hub, fakestripe_account(stripe_hub, portal), amount=7_500)
    mail.outbox.clear()
    dispute = stripe_hub.dispute(payment.charge_id)
    stripe_hub.flush_webhooks()

    payment.refresh_from_db()
    assert payment.status == Payment.Status.DISPUTED
    assert payment.dispute_id == dispute["id"]
    assert payment.dispute_status == "needs_response"
    assert payment.dispute_reason == "fraudulent"
    assert payment.dispute_due_by is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == sorted([super_admin.email, billing_admin.email])  # not the rep
    assert "disputed a $75.00 payment" in message.subject
    assert reverse("payments:detail", args=[payment.pk]) in message.body
    assert payment.payment_intent_id in message.alternatives[0][0]

    # Stripe delivers the same event again: stored once, processed once
    event = StripeEvent.objects.get(type="charge.dispute.created")
    body = _json(event.payload)
    response = requests.post(
        hub_webhooks.url + "/webhooks/stripe/",
        data=body,
        headers={
            "Stripe-Signature": signature_header(body, settings.STRIPE_WEBHOOK_SECRETS[1]),
            "Content-Type": "application/json",
        },
        timeout=10,
    )
    assert response.json()["duplicate"] is True
    # …and another event about the same dispute (e.g. charge.dispute.updated) mails nothing
    _store_and_process(
        {**event.payload, "id": "evt_dispute_again", "type": "charge.dispute.updated"}
    )
    assert len(mail.outbox) == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.DISPUTED


def test_disputed_payment_page_explains_and_blocks_refunds(stripe_hub, portal, billing_client, db):
    payment = paid_payment(stripe_hub, fakestripe_account(stripe_hub, portal))
    dispute = stripe_hub.dispute(payment.charge_id)
    refunds.payment_apply_dispute(payment=payment, dispute=dispute)
    page = billing_client.get(reverse("payments:detail", args=[payment.pk])).content.decode()
    assert "The buyer disputed this payment (fraudulent)" in page
    assert "Respond with evidence in your Stripe dashboard" in page
    assert "Refund this payment" not in page
    listed = billing_client.get(reverse("payments:index"), {"status": "disputed"})
    assert [p.pk for p in listed.context["page_obj"].object_list] == [payment.pk]


def test_won_dispute_puts_the_payment_back_and_lost_keeps_it_disputed(
    portal, super_admin, db, django_capture_on_commit_callbacks
):
    account = StripeAccountFactory(portal=portal)
    partly = PaymentFactory(
        portal=portal,
        account=account,
        amount=10_000,
        refunded_amount=1_000,
        status=Payment.Status.PARTIALLY_REFUNDED,
    )
    dispute = {
        "id": "dp_won",
        "status": "needs_response",
        "reason": "general",
        "amount": 9_000,
        "created": int(time.time()),
        "evidence_details": {"due_by": int(time.time()) + 86400},
    }
    with django_capture_on_commit_callbacks(execute=True):
        refunds.payment_apply_dispute(payment=partly, dispute=dispute)
    partly.refresh_from_db()
    assert partly.status == Payment.Status.DISPUTED
    with django_capture_on_commit_callbacks(execute=True):
        refunds.payment_apply_dispute(payment=partly, dispute={**dispute, "status": "won"})
    partly.refresh_from_db()
    assert partly.status == Payment.Status.PARTIALLY_REFUNDED
    assert partly.dispute_status == "won"

    lost = PaymentFactory(portal=portal, account=account)
    with django_capture_on_commit_callbacks(execute=True):
        refunds.payment_apply_dispute(
            payment=lost, dispute={**dispute, "id": "dp_lost", "status": "lost"}
        )
    lost.refresh_from_db()
    assert lost.status == Payment.Status.DISPUTED
    assert lost.dispute_status == "lost"
    assert len(mail.outbox) == 1  # only the open dispute was news; a closed one is not


def test_dispute_closed_shows_in_the_timeline(portal, billing_client, db):
    account = StripeAccountFactory(portal=portal)
    payment = PaymentFactory(
        portal=portal,
        account=account,
        dispute_id="dp_1",
        dispute_status="won",
        disputed_at=timezone.now(),
    )
    StripeEvent.objects.create(
        stripe_id="evt_closed",
        type="charge.dispute.closed",
        account=account.stripe_id,
        portal=portal,
        created=timezone.now(),
        payload={
            "data": {
                "object": {
                    "id": "dp_1",
                    "object": "dispute",
                    "status": "won",
                    "charge": payment.charge_id,
                    "payment_intent": payment.payment_intent_id,
                }
            }
        },
    )
    response = billing_client.get(reverse("payments:detail", args=[payment.pk]))
    assert "Dispute closed: won" in [e.title for e in response.context["timeline"]]


def test_event_for_a_checkout_not_yet_recorded_is_retried_later(stripe_hub, portal, db):
    """Checkout completion can lose the race to Stripe's webhook: the event fails so the
    sweeper retries it, and succeeds once the payment is recorded."""
    account = fakestripe_account(stripe_hub, portal)
    payment = paid_payment(stripe_hub, account)
    ids = {"pi": payment.payment_intent_id, "ch": payment.charge_id}
    payment.delete()
    CheckoutFactory(portal=portal, payment_intent_id=ids["pi"])
    stripe_hub.client(account.stripe_id).v1.refunds.create(
        {"charge": ids["ch"], "amount": 1_000}, {"idempotency_key": str(uuid.uuid4())}
    )
    event = _store_and_process(
        _event(
            "charge.refunded",
            {"id": ids["ch"], "object": "charge", "payment_intent": ids["pi"]},
            account.stripe_id,
        )
    )
    assert event.processed_at is None
    assert "PaymentNotRecordedYet" in event.last_error
    assert event.next_attempt_at is not None

    recorded = PaymentFactory(
        portal=portal, account=account, payment_intent_id=ids["pi"], charge_id=ids["ch"]
    )
    assert webhooks.event_process(event_id=event.pk) == "processed"
    recorded.refresh_from_db()
    assert recorded.refunded_amount == 1_000
    assert recorded.status == Payment.Status.PARTIALLY_REFUNDED


def test_event_for_a_charge_made_outside_the_hub_is_a_no_op(portal, db):
    account = StripeAccountFactory(portal=portal)
    event = _store_and_process(
        _event(
            "charge.dispute.created",
            {
                "id": "dp_x",
                "object": "dispute",
                "charge": "ch_elsewhere",
                "payment_intent": "pi_elsewhere",
            },
            account.stripe_id,
        )
    )
    assert event.processed_at is not None
    assert event.last_error == ""
    assert len(mail.outbox) == 0


# --- helpers -------------------------------------------------------------------------


def _event(event_type: str, obj: dict, account: str) -> dict:
    return {
        "id": f"evt_{uuid.uuid4().hex[:16]}",
        "object": "event",
        "type": event_type,
        "account": account,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }


def _store_and_process(data: dict) -> StripeEvent:
    event_id, created = webhooks.event_store(data=data, source=StripeEvent.Source.WEBHOOK)
    assert created and event_id is not None
    webhooks.event_process(event_id=event_id)
    return StripeEvent.objects.get(pk=event_id)


def _json(payload: dict) -> bytes:
    import json

    return json.dumps(payload).encode()
