"""/api/v1/payment_links: the link editor's services over the API."""

from datetime import timedelta

import pytest

from commerce.clock import hub_now
from commerce.events.models import Event
from commerce.events.services import snapshot
from payments.links.services import link_list
from payments.models import PaymentLink
from tests.factories import ProductFactory
from tests.payments.support import make_link

from .conftest import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(portal):
    return ProductFactory(portal=portal, name="Onboarding", unit_price=20_000)


def _snapshot(link):
    return snapshot(link_list(portal=link.portal).prefetch_related("lines").get(pk=link.pk))[1]


def test_create_retrieve_update_and_deactivate_a_link(api, portal, product):
    created = api.post(
        "/payment_links",
        {"name": "Spring offer", "lines": [{"product": str(product.pk), "quantity": 2}]},
    )
    assert created.status_code == 200, created.content
    link = PaymentLink.objects.get(portal=portal)
    body = created.json()
    assert body == _snapshot(link)
    assert body["url"].endswith(f"/pay/{link.slug}/")
    assert body["total"] == 40_000 and body["lines"][0]["quantity"] == 2
    assert Event.objects.filter(type="payment_link.created").count() == 1

    assert api.get(f"/payment_links/{link.pk}").json() == body

    renamed = api.post(f"/payment_links/{link.pk}", {"name": "Summer offer", "max_payments": 5})
    assert renamed.status_code == 200, renamed.content
    assert renamed.json()["name"] == "Summer offer"
    assert renamed.json()["lines"] == body["lines"]  # no `lines`: the lines are kept
    link.refresh_from_db()
    assert link.max_payments == 5

    other = ProductFactory(portal=portal, unit_price=7_500)
    relined = api.post(
        f"/payment_links/{link.pk}",
        {"lines": [{"product": str(other.pk), "quantity": 1, "discount_amount": 500}]},
    )
    assert [line["unit_amount"] for line in relined.json()["lines"]] == [7_500]
    assert relined.json()["total"] == 7_000

    gone = api.post(f"/payment_links/{link.pk}/deactivate")
    assert gone.json()["active"] is False and gone.json()["status"] == "inactive"
    assert Event.objects.filter(type="payment_link.deactivated").count() == 1
    assert api.post(f"/payment_links/{link.pk}/deactivate").json()["active"] is False
    assert api.post(f"/payment_links/{link.pk}/reactivate").json()["active"] is True


def test_list_filters_by_active(api, portal):
    on = make_link(portal, name="On")
    off = make_link(portal, name="Off")
    api.post(f"/payment_links/{off.pk}/deactivate")
    ids = lambda r: [p["id"] for p in r.json()["data"]]  # noqa: E731
    assert ids(api.get("/payment_links")) == [str(off.pk), str(on.pk)]
    assert ids(api.get("/payment_links", {"active": "true"})) == [str(on.pk)]
    assert ids(api.get("/payment_links", {"active": "false"})) == [str(off.pk)]


def test_pages_walk_the_links(api, portal):
    links = [make_link(portal) for _ in range(3)]
    first = api.get("/payment_links", {"limit": 2}).json()
    assert first["has_more"] is True
    assert [x["id"] for x in first["data"]] == [str(links[2].pk), str(links[1].pk)]
    rest = api.get("/payment_links", {"limit": 2, "starting_after": str(links[1].pk)}).json()
    assert [x["id"] for x in rest["data"]] == [str(links[0].pk)] and rest["has_more"] is False


@pytest.mark.parametrize("size", [1, 12])
def test_a_list_costs_the_same_queries_whatever_its_size(
    api, portal, size, django_assert_num_queries
):
    for _ in range(size):
        make_link(portal)
    api.get("/products")  # the key's first request verifies it
    with django_assert_num_queries(2):  # the links with their uses, then their lines
        assert len(api.get("/payment_links", {"limit": 100}).json()["data"]) == size


def _line(product, **extra):
    return {"product": str(product.pk), "quantity": 1, **extra}


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"lines": "P"}, "name"),
        ({"name": "X", "lines": []}, "lines"),
        ({"name": "X", "lines": [{"product": "P", "quantity": 0}]}, "lines[0][quantity]"),
        ({"name": "X", "lines": [{"product": "999999", "quantity": 1}]}, "lines[0][product]"),
        ({"name": "X", "lines": [{"product": "abc", "quantity": 1}]}, "lines[0][product]"),
        ({"name": "X", "lines": ["P"], "min_quantity": 5, "max_quantity": 2}, "max_quantity"),
        ({"name": "X", "lines": ["P"], "expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "X", "lines": ["P"], "expires_at": "tomorrow"}, "expires_at"),
        ({"name": "X", "lines": ["P"], "single_use": "yes"}, "single_use"),
        ({"name": "X", "lines": ["P"], "colour": "red"}, "colour"),
        ({"name": "X", "lines": ["both"]}, "lines[0][discount_amount]"),
        ({"name": "X", "lines": ["cheap"]}, "lines"),
    ],
)
def test_invalid_input_is_a_400_naming_the_param_and_creates_nothing(api, portal, body, param):
    product = ProductFactory(portal=portal, unit_price=20_000)
    cheap = ProductFactory(portal=portal, unit_price=10)
    lines = body.get("lines")
    if isinstance(lines, list):
        body["lines"] = [
            _line(product)
            if line == "P"
            else _line(product, discount_amount=1, discount_percent=5)
            if line == "both"
            else _line(cheap)
            if line == "cheap"
            else {**line, "product": str(product.pk)}
            if line.get("product") == "P"
            else line
            for line in lines
        ]
    elif lines == "P":
        body["lines"] = [_line(product)]
    assert_error(api.post("/payment_links", body), 400, "invalid_request_error", param)
    assert not PaymentLink.objects.exists()


def test_an_archived_or_foreign_product_cannot_be_a_line(api, portal, other_portal):
    archived = ProductFactory(portal=portal, archived=True)
    theirs = ProductFactory(portal=other_portal)
    for product in (archived, theirs):
        body = {"name": "X", "lines": [_line(product)]}
        assert_error(
            api.post("/payment_links", body), 400, "invalid_request_error", "lines[0][product]"
        )
    assert not PaymentLink.objects.exists()


def test_an_invalid_update_changes_nothing(api, portal):
    link = make_link(portal)
    before = _snapshot(link)
    for body, param in (
        ({"name": None}, "name"),
        ({"lines": None}, "lines"),
        ({"max_quantity": 0}, "max_quantity"),
        ({"expires_at": (hub_now() - timedelta(days=1)).isoformat()}, "expires_at"),
    ):
        assert_error(
            api.post(f"/payment_links/{link.pk}", body), 400, "invalid_request_error", param
        )
    assert _snapshot(link) == before


def test_expiry_can_be_set_and_cleared(api, portal):
    link = make_link(portal)
    when = (hub_now() + timedelta(days=3)).replace(microsecond=0)
    api.post(f"/payment_links/{link.pk}", {"expires_at": when.isoformat()})
    link.refresh_from_db()
    assert link.expires_at == when
    api.post(f"/payment_links/{link.pk}", {"expires_at": None})
    link.refresh_from_db()
    assert link.expires_at is None


def test_scopes_are_checked(make_key, api_for, portal):
    link = make_link(portal)
    reader = api_for(make_key(["payment_links:read"]).secret)
    assert reader.get(f"/payment_links/{link.pk}").status_code == 200
    assert_error(reader.post(f"/payment_links/{link.pk}/deactivate"), 403, "permission_error")
    writer = api_for(make_key(["payment_links:write"]).secret)
    assert_error(writer.get("/payment_links"), 403, "permission_error")
    link.refresh_from_db()
    assert link.active


def test_another_portals_link_is_a_404(api, other_portal):
    theirs = make_link(other_portal)
    for response in (
        api.get(f"/payment_links/{theirs.pk}"),
        api.post(f"/payment_links/{theirs.pk}", {"name": "Mine now"}),
        api.post(f"/payment_links/{theirs.pk}/deactivate"),
        api.post(f"/payment_links/{theirs.pk}/reactivate"),
        api.get("/payment_links/abc"),
    ):
        assert_error(response, 404, "invalid_request_error")
    theirs.refresh_from_db()
    assert theirs.name != "Mine now" and theirs.active
    assert api.get("/payment_links").json()["data"] == []


def test_a_replayed_create_makes_one_link(api, product):
    body = {"name": "Once", "lines": [_line(product)]}
    headers = {"Idempotency-Key": "link-1"}
    first = api.post("/payment_links", body, headers=headers)
    again = api.post("/payment_links", body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert PaymentLink.objects.count() == 1
