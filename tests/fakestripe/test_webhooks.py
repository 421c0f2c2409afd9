"""Signed webhook delivery, Connect events and retries (docs.stripe.com/webhooks)."""

from __future__ import annotations

import time

import stripe

from .typecheck import check_object

NEVER = {"enabled": True, "allow_redirects": "never"}


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_signed_delivery_platform_and_connect(fakestripe, receiver, client, connected, account):
    platform_secret = fakestripe.add_webhook_endpoint(receiver.url, connect=False)
    connect_secret = fakestripe.add_webhook_endpoint(receiver.url, connect=True)
    client.v1.customers.create(params={"email": "platform@example.com"})
    connected.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "application_fee_amount": 100,
            "automatic_payment_methods": NEVER,
        }
    )
    fakestripe.flush_webhooks()
    assert wait_for(lambda: len(receiver.received) >= 5)
    by_type = {}
    for headers, body in receiver.received:
        sig = headers["Stripe-Signature"]
        payload = body.decode()
        try:
            event = stripe.Webhook.construct_event(payload, sig, connect_secret)
        except stripe.SignatureVerificationError:
            event = stripe.Webhook.construct_event(payload, sig, platform_secret)
        check_object(event.to_dict())
        by_type[event.type] = event
    assert "account" not in by_type["customer.created"]
    assert "account" not in by_type["application_fee.created"]
    for t in ("payment_intent.created", "charge.succeeded", "payment_intent.succeeded"):
        assert by_type[t].account == account
        assert by_type[t].livemode is False
        assert by_type[t].api_version == "2026-10-28.endive"
    assert by_type["payment_intent.succeeded"].data.object.status == "succeeded"
    # Everything delivered: no event is pending any more.
    assert all(e.pending_webhooks == 0 for e in connected.v1.events.list().data)


def test_tampered_payload_fails_verification(fakestripe, receiver, client):
    secret = fakestripe.add_webhook_endpoint(receiver.url)
    client.v1.customers.create()
    fakestripe.flush_webhooks()
    headers, body = receiver.received[0]
    try:
        stripe.Webhook.construct_event(
            body.decode().replace("customer", "kustomer"), headers["Stripe-Signature"], secret
        )
    except stripe.SignatureVerificationError:
        pass
    else:
        raise AssertionError("tampered payload verified")


def test_retries_with_backoff_and_delivery_success(fakestripe, receiver, client):
    fakestripe.configure(webhook_attempts=3, webhook_retry_delay=0.2)
    fakestripe.add_webhook_endpoint(receiver.url, enabled_events=["customer.created"])
    receiver.statuses = [500, 503]
    cus = client.v1.customers.create()
    assert wait_for(lambda: len(receiver.received) >= 1)
    event = client.v1.events.list(params={"type": "customer.created"}).data[0]
    assert event.pending_webhooks == 1
    assert [e.id for e in client.v1.events.list(params={"delivery_success": False}).data] == [
        event.id
    ]
    assert wait_for(lambda: len(receiver.received) >= 3, timeout=5)
    assert wait_for(lambda: client.v1.events.retrieve(event.id).pending_webhooks == 0)
    ids = {e["data"]["object"]["id"] for e in receiver.events()}
    assert ids == {cus.id}
    assert [e.id for e in client.v1.events.list(params={"delivery_success": True}).data] == [
        event.id
    ]
    attempts = [a for a in fakestripe.webhook_log() if a["event"] == event.id]
    assert [a["status"] for a in attempts] == [500, 503, 200]


def test_failed_delivery_is_reported(fakestripe, receiver, client):
    fakestripe.configure(webhook_attempts=2, webhook_retry_delay=0.05)
    fakestripe.add_webhook_endpoint(receiver.url)
    receiver.statuses = [500] * 10
    client.v1.customers.create()
    assert wait_for(lambda: len(receiver.received) >= 2)
    time.sleep(0.2)
    failed = client.v1.events.list(params={"delivery_success": False}).data
    assert len(failed) == 1 and failed[0].pending_webhooks == 0


def test_unreachable_endpoint_is_retried(fakestripe, client):
    fakestripe.configure(webhook_attempts=2, webhook_retry_delay=0.05)
    fakestripe.add_webhook_endpoint("http://127.0.0.1:9/closed")
    client.v1.customers.create()
    assert wait_for(lambda: len(fakestripe.webhook_log()) >= 2)
    assert all(a["status"] is None and a["error"] for a in fakestripe.webhook_log())


def test_account_events_and_deauthorization(fakestripe, receiver, client, account):
    fakestripe.add_webhook_endpoint(receiver.url, connect=True)
    fakestripe.require_information(account, due="past_due", fields=["company.tax_id"])
    fakestripe.reject_account(account, "rejected.terms_of_service")
    fakestripe.deauthorize(account)
    fakestripe.flush_webhooks()
    events = receiver.events()
    assert [e["type"] for e in events] == [
        "account.updated",
        "account.updated",
        "account.application.deauthorized",
    ]
    past_due = events[0]["data"]["object"]["requirements"]
    assert (
        past_due["past_due"] == ["company.tax_id"]
        and past_due["disabled_reason"] == "requirements.past_due"
    )
    assert events[0]["data"]["previous_attributes"]["charges_enabled"] is True
    assert (
        events[1]["data"]["object"]["requirements"]["disabled_reason"]
        == "rejected.terms_of_service"
    )
    assert events[2]["data"]["object"]["object"] == "application"
    assert all(e["account"] == account for e in events)
    for e in events:
        check_object(e)
