"""/api/v1/events: the portal's events in the shape its webhooks deliver."""

import json

import pytest

from commerce.events.delivery import event_body
from commerce.events.models import Event
from tests.factories import ContactFactory, ProductFactory

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def _events(api, portal, n):
    """`n` product.created events, made the way the pages make them."""
    for i in range(n):
        response = api.post("/products", {"name": f"P{i}", "unit_price": 100})
        assert response.status_code == 200
    return list(Event.objects.filter(portal=portal).order_by("id"))


def test_list_and_retrieve_are_the_webhook_body(api, portal):
    [event] = _events(api, portal, 1)
    expected = json.loads(event_body(event, portal.public_id))
    listed = api.get("/events").json()
    assert listed["object"] == "list" and listed["data"] == [expected]
    assert api.get(f"/events/{event.public_id}").json() == expected
    assert expected["data"]["object"]["name"] == "P0"


def test_newest_first_with_pages_and_a_type_filter(api, portal):
    events = _events(api, portal, 3)
    contact = api.post("/contacts", {"email": "ada@example.org"})
    assert contact.status_code == 200
    ids = [e.public_id for e in reversed(events)]
    first = api.get("/events", {"limit": 2, "type": "product.created"}).json()
    assert [e["id"] for e in first["data"]] == ids[:2] and first["has_more"]
    rest = api.get(
        "/events", {"limit": 2, "type": "product.created", "starting_after": ids[1]}
    ).json()
    assert [e["id"] for e in rest["data"]] == ids[2:] and not rest["has_more"]
    everything = api.get("/events").json()["data"]
    assert [e["type"] for e in everything] == ["contact.created"] + ["product.created"] * 3


def test_internal_test_events_are_not_listed(api, portal):
    Event.objects.create(portal=portal, type="webhook.test", object_type="webhook_endpoint")
    assert api.get("/events").json()["data"] == []


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"type": "product.exploded"}, "type"),
        ({"type": "webhook.test"}, "type"),
        ({"starting_after": "evt_nope"}, "starting_after"),
        ({"limit": 101}, "limit"),
    ],
)
def test_bad_params_are_a_400(api, params, param):
    assert_error(api.get("/events", params), 400, "invalid_request_error", param)


@pytest.mark.parametrize("size", [1, 15])
def test_a_list_costs_the_same_queries_whatever_its_size(
    api, portal, size, django_assert_num_queries
):
    ProductFactory.create_batch(size, portal=portal)
    for i in range(size):
        Event.objects.create(
            portal=portal, type="product.created", object_type="product", data={"n": i}
        )
    api.get("/products")  # the key's first request verifies it
    with django_assert_num_queries(1):
        assert len(api.get("/events", {"limit": 100}).json()["data"]) == size


def test_the_scope_is_checked(make_key, api_for, portal):
    writer = api_for(make_key(["events:write", "products:read"]).secret)
    assert_error(writer.get("/events"), 403, "permission_error")
    reader = api_for(make_key(["events:read"]).secret)
    assert reader.get("/events").status_code == 200


def test_another_portals_event_is_a_404(api, make_key, api_for, other_portal):
    theirs = api_for(make_key(portal=other_portal).secret)
    ContactFactory(portal=other_portal)
    assert theirs.post("/products", {"name": "X", "unit_price": 1}).status_code == 200
    event = Event.objects.get(portal=other_portal)
    assert_error(api.get(f"/events/{event.public_id}"), 404, "invalid_request_error")
    assert_error(api.get("/events/" + "x" * 300), 404, "invalid_request_error")
    assert api.get("/events").json()["data"] == []
    # their event is no cursor here either
    assert_error(
        api.get("/events", {"starting_after": event.public_id}), 400, "invalid_request_error"
    )
