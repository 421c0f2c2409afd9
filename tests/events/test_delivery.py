"""Delivery per Standard Webhooks, checked by a receiver that verifies every signature
with its own implementation of the spec; retries, recovery, disabling, leases."""

import datetime as dt
import itertools

import pytest
import time_machine
from django.db import transaction

from commerce.customers import services as contacts
from commerce.events import delivery as deliveries
from commerce.events import endpoints
from commerce.events.models import Delivery, DeliveryAttempt, Event
from commerce.events.tasks import deliver_due, sweep_events
from tests.factories import MembershipFactory, UserFactory

from .support import spec_signature_valid

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def record(portal, django_capture_on_commit_callbacks):
    """Adds a contact (one contact.created event) and runs what its commit enqueues."""
    counter = iter(range(10**6))

    def make():
        with django_capture_on_commit_callbacks(execute=True):
            return contacts.contact_create(portal=portal, email=f"buyer{next(counter)}@example.com")

    return make


def _verified(endpoint, received) -> None:
    for r in received:
        assert spec_signature_valid(endpoint.secret, r.headers, r.body), r.headers


def test_a_delivery_is_signed_per_the_spec_with_the_documented_body(portal, receiver, record):
    endpoint = endpoints.endpoint_create(portal=portal, url=receiver.url())
    assert endpoint.secret.startswith("whsec_")
    contact = record()

    [r] = receiver.at()
    _verified(endpoint, [r])
    event = Event.objects.get()
    delivery = Delivery.objects.get()
    assert r.json == {
        "id": event.public_id,
        "type": "contact.created",
        "created": event.created.astimezone(dt.UTC).isoformat(),
        "portal": str(portal.public_id),
        "data": {"object": event.data},
    }
    assert r.json["data"]["object"]["id"] == str(contact.pk)
    assert r.webhook_id == delivery.message_id
    assert r.headers["content-type"] == "application/json"
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert DeliveryAttempt.objects.get().status_code == 200


def test_only_enabled_endpoints_wanting_the_type_get_it(portal, other_portal, receiver, record):
    everything = endpoints.endpoint_create(portal=portal, url=receiver.url("/all"))
    endpoints.endpoint_create(
        portal=portal, url=receiver.url("/products"), event_types=["product.created"]
    )
    off = endpoints.endpoint_create(portal=portal, url=receiver.url("/off"))
    endpoints.endpoint_set_enabled(endpoint=off, enabled=False)
    endpoints.endpoint_create(portal=other_portal, url=receiver.url("/other"))
    record()
    assert [r.json["type"] for r in receiver.at("/all")] == ["contact.created"]
    assert receiver.at("/products") == receiver.at("/off") == receiver.at("/other") == []
    _verified(everything, receiver.at("/all"))


def test_retries_follow_the_schedule_with_the_same_webhook_id(portal, receiver, record):
    endpoints.endpoint_create(portal=portal, url=receiver.url(status=500))
    with time_machine.travel(T0, tick=False) as clock:
        record()
        for wait in deliveries.RETRY_SCHEDULE[1:]:
            clock.shift(wait - dt.timedelta(seconds=1))
            deliver_due()
            clock.shift(dt.timedelta(seconds=1))
            deliver_due()
        clock.shift(dt.timedelta(days=3))
        deliver_due()
    got = receiver.at()
    assert len(got) == len(deliveries.RETRY_SCHEDULE) == 8
    gaps = [round(b.at - a.at) for a, b in itertools.pairwise(got)]
    assert gaps == [int(w.total_seconds()) for w in deliveries.RETRY_SCHEDULE[1:]]
    assert len({r.webhook_id for r in got}) == 1
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 8, None)
    assert delivery.last_error == "HTTP 500"
    assert DeliveryAttempt.objects.count() == 8


def test_an_endpoint_that_recovers_gets_its_backlog_at_once(portal, receiver, record):
    url = receiver.url(status=503)
    endpoint = endpoints.endpoint_create(portal=portal, url=url)
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(3):
            record()
        for wait in deliveries.RETRY_SCHEDULE[1:4]:  # now waiting 2 hours each
            clock.shift(wait)
            deliver_due()
        assert Delivery.objects.filter(status="pending").count() == 3
        receiver.behaviours["/hook"].status = 200
        record()  # succeeds: the endpoint is healthy again
    delivered = Delivery.objects.filter(status="succeeded")
    assert delivered.count() == 4
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None
    ok = [r for r in receiver.at()][-4:]
    _verified(endpoint, ok)
    assert {r.json["data"]["object"]["email"] for r in ok} == {
        f"buyer{i}@example.com" for i in range(4)
    }


def test_an_endpoint_failing_for_5_days_is_disabled_and_its_super_admins_emailed(
    portal,
    super_admin,
    billing_admin,
    receiver,
    record,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    endpoint = endpoints.endpoint_create(portal=portal, url=receiver.url(status=500))
    with time_machine.travel(T0, tick=False) as clock:
        record()
        for _day in range(4):
            clock.shift(dt.timedelta(days=1))
            record()
        clock.shift(dt.timedelta(hours=23, minutes=59))
        record()
        endpoint.refresh_from_db()
        assert endpoint.enabled
        clock.shift(dt.timedelta(minutes=2))
        record()
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert "5 days" in endpoint.disabled_reason
    [mail] = mailoutbox
    assert mail.to == [super_admin.email]
    assert endpoint.url in mail.subject
    # Nothing more is attempted while it is disabled; enabling sends what waited.
    sent = len(receiver.at())
    assert not Delivery.objects.filter(status="pending", next_attempt_at__isnull=False).exists()
    record()
    assert len(receiver.at()) == sent
    receiver.behaviours["/hook"].status = 200
    with django_capture_on_commit_callbacks(execute=True):
        endpoints.endpoint_set_enabled(endpoint=endpoint, enabled=True)
    assert Delivery.objects.filter(status="pending").count() == 0


def test_a_worker_killed_holding_deliveries_leaves_them_to_the_next_after_the_lease(
    portal, receiver, settings
):
    endpoints.endpoint_create(portal=portal, url=receiver.url())
    with time_machine.travel(T0, tick=False) as clock:
        with transaction.atomic():  # committed, but its enqueue is lost (no on_commit here)
            contacts.contact_create(portal=portal, email="lost@example.com")
        deliveries.events_fan_out()
        held = deliveries.deliveries_claim(limit=10)  # then the worker is SIGKILLed
        assert len(held) == 1
        deliver_due()
        assert receiver.at() == []
        clock.shift(dt.timedelta(seconds=settings.WEBHOOK_DELIVERY_LEASE_SECONDS + 1))
        deliver_due()
    [r] = receiver.at()
    assert r.webhook_id == held[0].message_id


def test_the_sweeper_fans_out_and_delivers_events_whose_enqueue_was_lost(portal, receiver):
    endpoints.endpoint_create(portal=portal, url=receiver.url())
    with transaction.atomic():
        for i in range(3):
            contacts.contact_create(portal=portal, email=f"lost{i}@example.com")
    assert Event.objects.filter(fanned_out_at__isnull=True).count() == 3
    result = sweep_events()
    assert result["fanned_out"] == 3
    assert len(receiver.at()) == 3
    assert sweep_events() == {"fanned_out": 0, "due": 0, "tasks": 0}
    assert len(receiver.at()) == 3


def test_fan_out_twice_creates_one_delivery_per_endpoint(portal, receiver):
    endpoints.endpoint_create(portal=portal, url=receiver.url())
    with transaction.atomic():
        contacts.contact_create(portal=portal, email="a@example.com")
    event = Event.objects.get()
    deliveries.events_fan_out(event_ids=[event.pk])
    Event.objects.update(fanned_out_at=None)  # as if a second worker raced the first
    deliveries.events_fan_out(event_ids=[event.pk])
    assert Delivery.objects.count() == 1


def test_a_rolled_secret_signs_with_both_for_24_hours(
    portal, receiver, record, django_capture_on_commit_callbacks
):
    endpoint = endpoints.endpoint_create(portal=portal, url=receiver.url())
    old = endpoint.secret
    with time_machine.travel(T0, tick=False) as clock:
        endpoint = endpoints.endpoint_roll_secret(endpoint=endpoint)
        record()
        clock.shift(dt.timedelta(hours=24, seconds=1))
        record()
    first, second = receiver.at()
    assert len(first.headers["webhook-signature"].split(" ")) == 2
    assert spec_signature_valid(old, first.headers, first.body)
    assert spec_signature_valid(endpoint.secret, first.headers, first.body)
    assert len(second.headers["webhook-signature"].split(" ")) == 1
    assert not spec_signature_valid(old, second.headers, second.body)
    assert spec_signature_valid(endpoint.secret, second.headers, second.body)


def test_redirects_are_not_followed_and_answers_are_kept_truncated(portal, receiver, record):
    target = receiver.url("/elsewhere")
    endpoints.endpoint_create(
        portal=portal,
        url=receiver.url(status=302, headers={"Location": target}, body=b"<b>moved</b>" * 500),
    )
    record()
    assert receiver.at("/elsewhere") == []
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code == 302
    assert len(attempt.response_body) == 2048
    assert Delivery.objects.get().status == "pending"


def test_a_slow_endpoint_times_out_and_is_retried(portal, receiver, record, monkeypatch):
    monkeypatch.setattr("commerce.events.network.TIMEOUT_SECONDS", 0.3)
    endpoints.endpoint_create(portal=portal, url=receiver.url(delay=1.0))
    monkeypatch.setattr("commerce.events.network.Poster.__init__.__defaults__", (0.3,))
    record()
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code is None and "15 seconds" in attempt.error
    assert Delivery.objects.get().status == "pending"


def test_resend_and_replay_keep_the_webhook_id(
    portal, receiver, record, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0, tick=False) as clock:
        record()  # before the endpoint exists
        clock.shift(dt.timedelta(hours=1))
        endpoint = endpoints.endpoint_create(portal=portal, url=receiver.url())
        record()
        [first] = receiver.at()
        delivery = Delivery.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            endpoints.delivery_resend(delivery=delivery)
        with django_capture_on_commit_callbacks(execute=True):
            assert (
                endpoints.endpoint_replay(endpoint=endpoint, since=T0 - dt.timedelta(minutes=1))
                == 2
            )
    got = receiver.at()
    assert len(got) == 4
    assert got[1].webhook_id == first.webhook_id
    assert {r.json["data"]["object"]["email"] for r in got[2:]} == {
        "buyer0@example.com",
        "buyer1@example.com",
    }
    assert first.webhook_id in {r.webhook_id for r in got[2:]}
    _verified(endpoint, got)


def test_send_test_event_reaches_that_endpoint_only(
    portal, receiver, django_capture_on_commit_callbacks
):
    endpoint = endpoints.endpoint_create(portal=portal, url=receiver.url("/a"))
    endpoints.endpoint_create(portal=portal, url=receiver.url("/b"))
    with django_capture_on_commit_callbacks(execute=True):
        endpoints.endpoint_send_test(endpoint=endpoint)
    sweep_events()
    [r] = receiver.at("/a")
    assert r.json["type"] == "webhook.test"
    assert receiver.at("/b") == []
    _verified(endpoint, [r])


def test_super_admins_of_other_portals_are_not_emailed(portal, other_portal):
    # The disable e-mail goes through notify_portal's roles: a guard on the fixture data.
    other = UserFactory(email="x@other.test")
    MembershipFactory(portal=other_portal, user=other, role="super_admin")
    from commerce.notifications import portal_admin_emails

    assert portal_admin_emails(portal, ["super_admin"]) == []
