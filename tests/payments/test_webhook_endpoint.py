"""The webhook endpoint: verify, store first, enqueue; bad deliveries store nothing."""

import json
import time

import pytest
from django.urls import reverse

from payments.models import StripeEvent
from payments.webhooks import services as webhooks
from tests.payments.signing import event_body, signature_header

SECRET = "whsec_test_primary"


@pytest.fixture(autouse=True)
def webhook_secrets(settings):
    settings.STRIPE_WEBHOOK_SECRETS = [SECRET, "whsec_test_connect"]
    settings.STRIPE_SECRET_KEY = "sk_test_webhooks"


def post(client, body: bytes, header: str | None):
    extra = {"HTTP_STRIPE_SIGNATURE": header} if header is not None else {}
    return client.post(
        reverse("stripe_webhook"), data=body, content_type="application/json", **extra
    )


def test_valid_event_is_stored_and_processed(client, db, django_capture_on_commit_callbacks):
    body = event_body("evt_ok_1", "customer.created", {"id": "cus_1", "object": "customer"})
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(client, body, signature_header(body, SECRET))
    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}
    event = StripeEvent.objects.get(stripe_id="evt_ok_1")
    assert event.type == "customer.created"
    assert event.payload["data"]["object"]["id"] == "cus_1"
    assert len(callbacks) == 1
    event.refresh_from_db()
    assert event.processed_at is not None  # no handler: recorded as processed with a note
    assert event.note == "No handler for this event type"


def test_second_secret_is_accepted(client, db):
    body = event_body(
        "evt_connect_1", "account.updated", {"id": "acct_x", "object": "account"}, account="acct_x"
    )
    response = post(client, body, signature_header(body, "whsec_test_connect"))
    assert response.status_code == 200
    assert StripeEvent.objects.filter(stripe_id="evt_connect_1", account="acct_x").exists()


def test_duplicate_delivery_is_a_noop_200(client, db, django_capture_on_commit_callbacks):
    body = event_body("evt_dup", "customer.created", {"id": "cus_2", "object": "customer"})
    header = signature_header(body, SECRET)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = post(client, body, header)
        second = post(client, body, header)
    assert first.status_code == second.status_code == 200
    assert second.json()["duplicate"] is True
    assert StripeEvent.objects.filter(stripe_id="evt_dup").count() == 1
    assert len(callbacks) == 1  # enqueued once


@pytest.mark.parametrize(
    ("make_header", "why"),
    [
        (lambda body: None, "missing header"),
        (lambda body: signature_header(body, "whsec_wrong"), "wrong secret"),
        (
            lambda body: signature_header(body, SECRET, timestamp=int(time.time()) - 301),
            "stale timestamp",
        ),
        (lambda body: signature_header(body + b" ", SECRET).replace("v1=", "v1=00"), "tampered"),
        (lambda body: "garbage", "unparseable header"),
    ],
)
def test_untrusted_delivery_is_400_and_stores_nothing(client, db, make_header, why):
    body = event_body("evt_bad", "customer.created", {"id": "cus_3", "object": "customer"})
    response = post(client, body, make_header(body))
    assert response.status_code == 400, why
    assert not StripeEvent.objects.exists()


def test_signed_but_malformed_json_is_400(client, db):
    body = b'{"id": "evt_half", "type": '
    response = post(client, body, signature_header(body, SECRET))
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_signed_json_that_is_not_an_event_is_400(client, db):
    body = b'["not", "an", "event"]'
    response = post(client, body, signature_header(body, SECRET))
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_webhook_endpoint_refuses_get(client, db):
    assert client.get(reverse("stripe_webhook")).status_code == 405


def test_livemode_mismatch_is_recorded_not_applied(client, db, django_capture_on_commit_callbacks):
    body = event_body(
        "evt_live", "account.updated", {"id": "acct_live", "object": "account"}, account="acct_live"
    )
    body = body.replace(b'"livemode": false', b'"livemode": true')
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, body, signature_header(body, SECRET)).status_code == 200
    event = StripeEvent.objects.get(stripe_id="evt_live")
    assert event.processed_at is not None
    assert "live/test mode" in event.note


# --- Signed events the hub cannot store: a 400 with the reason, never a 500 -----------


def _signed(event: dict) -> bytes:
    return json.dumps(event).encode()


def _event(**changes) -> dict:
    event = json.loads(event_body("evt_odd", "customer.created", {"id": "cus_odd"}))
    event.update(changes)
    return event


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"created": "yesterday"}, "`created` is not an integer"),
        ({"created": 10**20}, "`created` is not a time"),
        ({"created": -(10**12)}, "`created` is not a time"),
        ({"created": True}, "`created` is not an integer"),
        ({"created": None}, "`created` is not an integer"),
        ({"id": "evt_" + "x" * 252}, "`id` is longer than 255 characters"),
        ({"type": "customer." + "x" * 92}, "`type` is longer than 100 characters"),
        ({"account": "acct_" + "x" * 251}, "`account` is longer than 255 characters"),
        ({"api_version": "2026-10-28." + "x" * 30}, "`api_version` is longer than 40"),
        ({"account": {"id": "acct_1"}}, "`account` is not a string"),
        ({"id": ""}, "`id` is not a string"),
        ({"data": {"object": {"name": "\ud800"}}}, "unpaired surrogate"),
        ({"data": {"object": {"amount": float("nan")}}}, "NaN"),
    ],
)
def test_signed_event_that_cannot_be_stored_is_400_with_its_reason(client, db, changes, reason):
    body = _signed(_event(**changes))
    response = post(client, body, signature_header(body, SECRET))
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert not StripeEvent.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"id": "evt_\u0000"},
        {"type": "customer.\u0000created"},
        {"account": "acct_\u0000"},
        {"data": {"object": {"description": "a\u0000b"}}},
        {"data": {"object": {"metadata": {"k\u0000": "v"}}}},
    ],
)
def test_signed_event_with_a_nul_is_400_and_stores_nothing(client, db, changes):
    body = _signed(_event(**changes))
    response = post(client, body, signature_header(body, SECRET))
    assert response.status_code == 400
    assert "NUL" in response.json()["error"]
    assert not StripeEvent.objects.exists()
    # The same event from Stripe's event list (the daily reconcile) is refused by the
    # pipeline itself, before the database sees it.
    with pytest.raises(webhooks.InvalidEvent, match="NUL"):
        webhooks.event_store(data=_event(**changes), source=StripeEvent.Source.RECONCILE)
    assert not StripeEvent.objects.exists()


def test_event_at_the_edges_of_the_columns_is_stored(client, db):
    event = _event(id="evt_" + "x" * 251, type="t" * 100, account="acct_" + "x" * 250, created=0)
    body = _signed(event)
    assert post(client, body, signature_header(body, SECRET)).status_code == 200
    stored = StripeEvent.objects.get()
    assert (len(stored.stripe_id), len(stored.type), stored.created.year) == (255, 100, 1970)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_webhook_accepts_only_json_bodies(client, db, content_type):
    body = event_body("evt_form", "customer.created", {"id": "cus_f"})
    response = client.post(
        reverse("stripe_webhook"),
        data=body,
        content_type=content_type,
        HTTP_STRIPE_SIGNATURE=signature_header(body, SECRET),
    )
    # 415 with the reason; a multipart body without a boundary is refused (400) before
    # the view, by the hub's request check.
    assert response.status_code == (400 if content_type == "multipart/form-data" else 415)
    assert not StripeEvent.objects.exists()
    if response.status_code == 415:
        assert response.json() == {"error": "the body must be application/json"}


def test_deeply_nested_signed_body_is_400(client, db):
    body = b"[" * 100_000 + b"]" * 100_000
    response = post(client, body, signature_header(body, SECRET))
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
