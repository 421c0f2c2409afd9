"""/api/v1/subscriptions: read, pause, resume, cancel and change quantities through the
subscriptions tool's services.

Given a $50.00/month subscription started Jan 15 (next charge Feb 15) and today Feb 1
at noon UTC: a change is saved, recorded on the timeline with the key and as an event,
or refused with a code and nothing changes.
"""

from __future__ import annotations

import datetime as dt
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from api import services as key_services
from commerce.clock import hub_now
from commerce.events.models import Event
from commerce.events.services import snapshot
from subscriptions.models import Subscription, SubscriptionEvent
from tests.factories import SubscriptionFactory, SubscriptionItemFactory

from .conftest import assert_error

pytestmark = pytest.mark.django_db

START = date(2026, 1, 15)
TODAY = date(2026, 2, 1)
DUE = date(2026, 2, 15)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 2, 1, 12, tzinfo=UTC), tick=False) as traveller:
        yield traveller


def _subscription(portal, **fields) -> Subscription:
    fields.setdefault("start_date", START)
    return SubscriptionFactory(portal=portal, **fields)


@pytest.fixture
def sub(portal) -> Subscription:
    return _subscription(portal)


def _item(subscription):
    return subscription.items.get()


def _state(subscription):
    subscription.refresh_from_db()
    return (
        subscription.status,
        subscription.amount,
        subscription.next_billing_date,
        subscription.cancel_at_period_end,
        [(i.pk, i.quantity, i.amount) for i in subscription.items.order_by("pk")],
    )


def _nothing_recorded(subscription):
    assert not SubscriptionEvent.objects.filter(subscription=subscription).exists()
    assert not Event.objects.filter(type__startswith="subscription.").exists()


def _ok(response):
    assert response.status_code == 200, response.content
    return response.json()


def _ids(response):
    return [s["id"] for s in _ok(response)["data"]]


# --- Reads -------------------------------------------------------------------------------


def test_retrieve_is_the_event_snapshot_with_its_items(api, portal, sub):
    extra = SubscriptionItemFactory(
        subscription=sub, name="Extra seat", sku="SEAT", quantity=2, unit_amount=1_000
    )
    body = _ok(api.get(f"/subscriptions/{sub.pk}"))
    sub.refresh_from_db()
    items = body.pop("items")
    assert body == snapshot(sub)[1]
    assert body["amount"] == 5_000 and body["currency"] == "usd"
    assert body["next_billing_date"] == "2026-02-15"
    assert body["created"].endswith("+00:00")
    first = sub.items.order_by("position", "id").first()
    assert items == [
        {
            "id": str(first.pk),
            "object": "subscription_item",
            "product": None,
            "name": "Growth plan",
            "sku": "",
            "quantity": 1,
            "unit_amount": 5_000,
            "discount_percent": None,
            "discount_amount": None,
            "tax_rate": "0",
            "amount": 5_000,
        },
        {
            "id": str(extra.pk),
            "object": "subscription_item",
            "product": None,
            "name": "Extra seat",
            "sku": "SEAT",
            "quantity": 2,
            "unit_amount": 1_000,
            "discount_percent": None,
            "discount_amount": None,
            "tax_rate": "0",
            "amount": 2_000,
        },
    ]


def _created(subscription, when):
    Subscription.objects.filter(pk=subscription.pk).update(created_at=when)
    return subscription


def test_list_filters_by_status_and_created(api, portal):
    jan = _created(_subscription(portal), datetime(2026, 1, 10, 12, tzinfo=UTC))
    feb = _created(
        _subscription(portal, status=Subscription.Status.PAST_DUE),
        datetime(2026, 2, 1, 9, tzinfo=UTC),
    )
    assert _ids(api.get("/subscriptions")) == [str(feb.pk), str(jan.pk)]
    assert _ids(api.get("/subscriptions", {"status": "past_due"})) == [str(feb.pk)]
    assert _ids(api.get("/subscriptions", {"status": "paused"})) == []
    assert _ids(api.get("/subscriptions", {"created[gte]": "2026-02-01"})) == [str(feb.pk)]
    assert _ids(api.get("/subscriptions", {"created[lte]": "2026-01-10T12:00:00Z"})) == [
        str(jan.pk)
    ]
    window = {"created[gte]": "2026-01-10T13:00:00+01:00", "created[lte]": "2026-01-31"}
    assert _ids(api.get("/subscriptions", window)) == [str(jan.pk)]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"status": "gone"}, "status"),
        ({"created[gte]": "last week"}, "created[gte]"),
        ({"created[lte]": "2026-01-10T12:00:00"}, "created[lte]"),  # no time zone
        ({"limit": 101}, "limit"),
        ({"starting_after": "sub_1"}, "starting_after"),
    ],
)
def test_bad_filters_are_a_400(api, sub, params, param):
    assert_error(api.get("/subscriptions", params), 400, "invalid_request_error", param)


def test_pages_walk_the_subscriptions(api, portal):
    subs = [_subscription(portal) for _ in range(3)]
    first = _ok(api.get("/subscriptions", {"limit": 2}))
    assert [s["id"] for s in first["data"]] == [str(subs[2].pk), str(subs[1].pk)]
    assert first["has_more"]
    rest = _ok(api.get("/subscriptions", {"limit": 2, "starting_after": str(subs[1].pk)}))
    assert [s["id"] for s in rest["data"]] == [str(subs[0].pk)] and not rest["has_more"]


@pytest.mark.parametrize("size", [1, 30])
def test_a_list_costs_the_same_queries_whatever_its_size(
    api, portal, size, django_assert_num_queries
):
    for _ in range(size):
        SubscriptionItemFactory(subscription=_subscription(portal), name="Seat")
    api.get("/products")  # the key's first request verifies it
    with django_assert_num_queries(2):  # the page, and the items of all its subscriptions
        body = _ok(api.get("/subscriptions", {"limit": 100}))
    assert len(body["data"]) == size
    assert all(len(s["items"]) == 2 for s in body["data"])


# --- Changes -----------------------------------------------------------------------------


def _timeline(subscription):
    return list(
        SubscriptionEvent.objects.filter(subscription=subscription)
        .order_by("id")
        .values_list("kind", "via", "actor")
    )


def test_pause_then_resume_on_a_date_names_the_key_on_the_timeline(
    client, make_key, api_for, sub, admin_client_
):
    key = make_key(name="Back office")
    api = api_for(key.secret)
    via = f"API key “Back office” ({key.key.prefix}…)"

    paused = _ok(api.post(f"/subscriptions/{sub.pk}/pause"))
    assert paused["status"] == "paused"
    resumed = _ok(api.post(f"/subscriptions/{sub.pk}/resume", {"next_billing_date": "2026-03-01"}))
    assert resumed["status"] == "active" and resumed["next_billing_date"] == "2026-03-01"

    sub.refresh_from_db()
    assert (sub.status, sub.next_billing_date) == ("active", date(2026, 3, 1))
    assert _timeline(sub) == [("pause", via, None), ("resume", via, None)]
    types = list(Event.objects.order_by("id").values_list("type", "object_id"))
    assert types == [("subscription.paused", str(sub.pk)), ("subscription.resumed", str(sub.pk))]
    page = admin_client_.get(f"/subscriptions/{sub.pk}/").content.decode()
    assert "By API key “Back office”" in page


def test_resume_without_a_date_keeps_the_one_it_had(api, sub):
    _ok(api.post(f"/subscriptions/{sub.pk}/pause"))
    body = _ok(api.post(f"/subscriptions/{sub.pk}/resume"))
    assert (body["status"], body["next_billing_date"]) == ("active", "2026-02-15")


def test_resume_and_cancel_take_no_body_at_all(api, portal):
    paused = _subscription(portal, status=Subscription.Status.PAUSED)
    resumed = _ok(api.post(f"/subscriptions/{paused.pk}/resume", raw=""))
    assert (resumed["status"], resumed["next_billing_date"]) == ("active", "2026-02-15")
    active = _subscription(portal)
    assert _ok(api.post(f"/subscriptions/{active.pk}/cancel", raw=""))["status"] == "cancelled"


def test_resume_without_a_date_once_it_has_passed_asks_for_one(api, portal):
    sub = _subscription(portal, status=Subscription.Status.PAUSED, next_billing_date=TODAY)
    before = _state(sub)
    error = assert_error(
        api.post(f"/subscriptions/{sub.pk}/resume"),
        400,
        "invalid_request_error",
        "next_billing_date",
    )
    assert error["code"] == "parameter_missing"
    assert _state(sub) == before
    _nothing_recorded(sub)


def test_cancel_now_and_the_buyer_is_emailed(api, sub, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        body = _ok(api.post(f"/subscriptions/{sub.pk}/cancel", {"at_period_end": False}))
    assert [m.to for m in mail.outbox] == [[sub.contact.email]]
    assert "Cancelled now" in mail.outbox[0].body
    assert body["status"] == "cancelled" and body["next_billing_date"] is None
    assert body["cancelled_at"] == body["ended_at"] == "2026-02-01T12:00:00+00:00"
    assert Event.objects.get().type == "subscription.cancelled"


def test_cancel_at_period_end_keeps_it_active_until_then(api, sub):
    body = _ok(api.post(f"/subscriptions/{sub.pk}/cancel", {"at_period_end": True}))
    assert (body["status"], body["cancel_at_period_end"]) == ("active", True)
    assert body["next_billing_date"] == "2026-02-15" and body["ended_at"] is None
    assert Event.objects.get().type == "subscription.updated"
    assert [k for k, _, _ in _timeline(sub)] == ["cancel_at_period_end"]


def test_change_quantities_reprices_from_the_next_period(api, sub):
    seat = SubscriptionItemFactory(subscription=sub, name="Seat", quantity=2, unit_amount=1_000)
    plan = sub.items.exclude(pk=seat.pk).get()
    body = _ok(
        api.post(
            f"/subscriptions/{sub.pk}/items",
            {"items": [{"id": str(seat.pk), "quantity": 5}, {"id": str(plan.pk), "quantity": 0}]},
        )
    )
    assert [(i["id"], i["quantity"], i["amount"]) for i in body["items"]] == [
        (str(seat.pk), 5, 5_000)
    ]
    assert body["amount"] == 5_000
    sub.refresh_from_db()
    assert sub.amount == 5_000 and sub.items.get().quantity == 5
    assert [k for k, _, _ in _timeline(sub)] == ["items_changed"]
    assert Event.objects.get().type == "subscription.updated"


# --- Refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "path", "body", "code"),
    [
        ("cancelled", "pause", None, "subscription_ended"),
        ("completed", "cancel", {"at_period_end": True}, "subscription_ended"),
        ("cancelled", "items", "qty", "subscription_ended"),
        ("paused", "pause", None, "not_pausable"),
        ("active", "resume", {"next_billing_date": "2026-03-01"}, "not_paused"),
        ("past_due", "resume", {}, "not_paused"),
    ],
)
def test_a_transition_the_state_does_not_allow_is_a_400_with_its_code(
    api, portal, status, path, body, code
):
    sub = _subscription(portal, status=status)
    if body == "qty":
        body = {"items": [{"id": str(_item(sub).pk), "quantity": 2}]}
    before = _state(sub)
    error = assert_error(
        api.post(f"/subscriptions/{sub.pk}/{path}", body), 400, "invalid_request_error"
    )
    assert error["code"] == code, error
    assert _state(sub) == before
    _nothing_recorded(sub)


def test_no_change_within_two_days_of_a_charge(api, portal):
    sub = _subscription(portal, next_billing_date=TODAY + timedelta(days=2))
    for path, body in (("pause", None), ("cancel", {"at_period_end": True})):
        error = assert_error(
            api.post(f"/subscriptions/{sub.pk}/{path}", body), 400, "invalid_request_error"
        )
        assert error["code"] == "charge_due_soon" and "Feb 3, 2026" in error["message"]
    _nothing_recorded(sub)


def test_a_charge_under_way_is_a_409_and_a_retry_with_the_same_key_runs(api, portal, _today):
    sub = _subscription(
        portal, billing_lease_owner="run-1", billing_lease_until=hub_now() + timedelta(minutes=5)
    )
    headers = {"Idempotency-Key": "pause-during-charge"}
    error = assert_error(
        api.post(f"/subscriptions/{sub.pk}/pause", headers=headers), 409, "invalid_request_error"
    )
    assert error["code"] == "billing_in_progress"
    _nothing_recorded(sub)
    _today.shift(timedelta(minutes=6))  # the charge's lease is over
    retried = api.post(f"/subscriptions/{sub.pk}/pause", headers=headers)
    assert _ok(retried)["status"] == "paused" and "Idempotent-Replayed" not in retried


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"next_billing_date": "2026-02-01"}, "next_billing_date", "date_too_early"),
        ({"next_billing_date": "2026-02-30"}, "next_billing_date", "parameter_invalid"),
        ({"next_billing_date": 20260301}, "next_billing_date", "parameter_invalid"),
        ({"next_billing_date": "next week"}, "next_billing_date", "parameter_invalid"),
        ({"next_date": "2026-03-01"}, "next_date", "parameter_invalid"),
    ],
)
def test_an_invalid_resume_is_a_400(api, portal, body, param, code):
    sub = _subscription(portal, status=Subscription.Status.PAUSED)
    error = assert_error(
        api.post(f"/subscriptions/{sub.pk}/resume", body), 400, "invalid_request_error", param
    )
    assert error["code"] == code
    assert sub.status == _state(sub)[0] == "paused"
    _nothing_recorded(sub)


@pytest.mark.parametrize(
    ("body", "param"),
    [({"at_period_end": "yes"}, "at_period_end"), ({"when": "now"}, "when")],
)
def test_an_invalid_cancel_is_a_400(api, sub, body, param):
    before = _state(sub)
    assert_error(
        api.post(f"/subscriptions/{sub.pk}/cancel", body), 400, "invalid_request_error", param
    )
    assert _state(sub) == before
    _nothing_recorded(sub)


@pytest.mark.parametrize(
    ("items", "param", "code"),
    [
        ([{"id": "999999", "quantity": 2}], "items[0][id]", "resource_missing"),
        ([{"id": "other", "quantity": 2}], "items[0][id]", "resource_missing"),
        ([{"id": "own", "quantity": 2}, {"id": "own", "quantity": 3}], "items[1][id]", None),
        ([{"id": "own", "quantity": -1}], "items[0][quantity]", None),
        ([{"id": "own", "quantity": 10_001}], "items[0][quantity]", None),
        ([{"id": "own", "quantity": "2"}], "items[0][quantity]", None),
        ([{"id": "own", "quantity": 2, "unit_amount": 1}], "items[0][unit_amount]", None),
        ([{"id": "own"}], "items[0][quantity]", "parameter_missing"),
        ([], "items", None),
        ([{"id": "own", "quantity": 1}], "items", "nothing_changed"),
        ([{"id": "own", "quantity": 0}], "items", "no_items_left"),
    ],
)
def test_an_invalid_quantity_change_is_a_400(api, portal, sub, items, param, code):
    own = str(_item(sub).pk)
    theirs = str(_item(_subscription(portal)).pk)  # another subscription's item
    named = {"own": own, "other": theirs}
    body = {"items": [{**i, "id": named.get(i["id"], i["id"])} for i in items]}
    before = _state(sub)
    error = assert_error(
        api.post(f"/subscriptions/{sub.pk}/items", body), 400, "invalid_request_error", param
    )
    if code:
        assert error["code"] == code
    assert _state(sub) == before
    _nothing_recorded(sub)


def test_quantities_a_card_cannot_pay_are_refused(api, portal):
    sub = _subscription(portal, amount=60_000_000)  # $600,000.00 a month
    before = _state(sub)
    body = {"items": [{"id": str(_item(sub).pk), "quantity": 2}]}
    error = assert_error(
        api.post(f"/subscriptions/{sub.pk}/items", body), 400, "invalid_request_error", "items"
    )
    assert error["code"] == "amount_too_large" and "$999,999.99" in error["message"]
    assert _state(sub) == before
    _nothing_recorded(sub)


# --- Keys, portals, idempotency ----------------------------------------------------------


def test_scopes_are_checked(make_key, api_for, sub):
    before = _state(sub)
    reader = api_for(make_key(["subscriptions:read"]).secret)
    _ok(reader.get(f"/subscriptions/{sub.pk}"))
    _ok(reader.get("/subscriptions"))
    valid = {
        "pause": None,
        "resume": {"next_billing_date": "2026-03-01"},
        "cancel": {"at_period_end": False},
        "items": {"items": [{"id": str(_item(sub).pk), "quantity": 2}]},
    }
    for path, body in valid.items():
        error = assert_error(
            reader.post(f"/subscriptions/{sub.pk}/{path}", body), 403, "permission_error"
        )
        assert "subscriptions:write" in error["message"]
    writer = api_for(make_key(["subscriptions:write", "payments:read"]).secret)
    assert_error(writer.get("/subscriptions"), 403, "permission_error")
    assert_error(writer.get(f"/subscriptions/{sub.pk}"), 403, "permission_error")
    other = api_for(make_key(["payments:write", "payments:read"]).secret)
    assert_error(other.post(f"/subscriptions/{sub.pk}/pause"), 403, "permission_error")
    assert _state(sub) == before
    _nothing_recorded(sub)


def test_a_revoked_key_is_a_401(make_key, api_for, sub):
    created = make_key()
    api = api_for(created.secret)
    _ok(api.get(f"/subscriptions/{sub.pk}"))
    key_services.key_revoke(key=created.key)
    for response in (api.get("/subscriptions"), api.post(f"/subscriptions/{sub.pk}/pause")):
        error = assert_error(response, 401, "authentication_error")
        assert error["code"] == "api_key_revoked"
    assert _state(sub)[0] == "active"
    _nothing_recorded(sub)


def test_an_expired_key_is_a_401(make_key, api_for, sub, _today):
    api = api_for(make_key(expires_at=hub_now() + dt.timedelta(hours=1)).secret)
    _ok(api.get("/subscriptions"))
    _today.shift(dt.timedelta(hours=2))
    for response in (
        api.get(f"/subscriptions/{sub.pk}"),
        api.post(f"/subscriptions/{sub.pk}/cancel", {"at_period_end": False}),
    ):
        error = assert_error(response, 401, "authentication_error")
        assert error["code"] == "api_key_expired"
    assert _state(sub)[0] == "active"
    _nothing_recorded(sub)


def test_another_portals_subscription_is_a_404(api, other_portal):
    theirs = _subscription(other_portal)
    before = _state(theirs)
    item = str(_item(theirs).pk)
    for response in (
        api.get(f"/subscriptions/{theirs.pk}"),
        api.post(f"/subscriptions/{theirs.pk}/pause"),
        api.post(f"/subscriptions/{theirs.pk}/resume", {"next_billing_date": "2026-03-01"}),
        api.post(f"/subscriptions/{theirs.pk}/cancel", {"at_period_end": False}),
        api.post(f"/subscriptions/{theirs.pk}/items", {"items": [{"id": item, "quantity": 2}]}),
        api.get("/subscriptions/abc"),
        api.get("/subscriptions/99999999999999999999999"),
    ):
        error = assert_error(response, 404, "invalid_request_error")
        assert error["code"] == "resource_missing"
    assert _ok(api.get("/subscriptions"))["data"] == []
    assert _state(theirs) == before
    _nothing_recorded(theirs)


def test_a_replayed_pause_pauses_once(api, sub):
    headers = {"Idempotency-Key": "pause-1"}
    first = api.post(f"/subscriptions/{sub.pk}/pause", headers=headers)
    again = api.post(f"/subscriptions/{sub.pk}/pause", headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert _timeline(sub) == [("pause", _timeline(sub)[0][1], None)]
    assert Event.objects.count() == 1


def test_a_replayed_refusal_is_the_same_refusal_and_another_body_is_a_409(api, portal):
    sub = _subscription(portal, status=Subscription.Status.PAUSED)
    headers = {"Idempotency-Key": "cancel-1"}
    first = api.post(f"/subscriptions/{sub.pk}/cancel", {"at_period_end": True}, headers=headers)
    assert first.status_code == 200, first.content
    again = api.post(f"/subscriptions/{sub.pk}/cancel", {"at_period_end": True}, headers=headers)
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    error = assert_error(
        api.post(f"/subscriptions/{sub.pk}/cancel", {"at_period_end": False}, headers=headers),
        409,
        "idempotency_error",
    )
    assert error["code"] == "idempotency_key_reused"
    sub.refresh_from_db()
    assert (sub.status, sub.cancel_at_period_end) == ("paused", True)
    assert len(_timeline(sub)) == 1
