"""/api/v1/products: the library through the same services as the pages."""

import pytest

from commerce.catalog.events import product_snapshot
from commerce.catalog.models import Product
from commerce.events.models import Event
from tests.factories import ProductFactory

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def test_create_retrieve_update_and_archive_a_product(api, portal):
    created = api.post(
        "/products",
        {"name": "Onboarding", "unit_price": 125_000, "sku": "ONB-1", "unit_cost": 40_000},
    )
    assert created.status_code == 200
    product = Product.objects.get(portal=portal)
    assert created.json() == product_snapshot(product)
    assert Event.objects.filter(type="product.created").count() == 1

    fetched = api.get(f"/products/{product.pk}")
    assert fetched.json() == created.json()

    updated = api.post(f"/products/{product.pk}", {"unit_price": 130_000})
    assert updated.status_code == 200
    product.refresh_from_db()
    assert product.unit_price == 130_000 and product.name == "Onboarding"
    assert updated.json() == product_snapshot(product)

    archived = api.post(f"/products/{product.pk}/archive")
    assert archived.json()["archived"] is True
    assert api.post(f"/products/{product.pk}/unarchive").json()["archived"] is False


def test_list_filters_by_archived(api, portal):
    active = ProductFactory(portal=portal, name="Active")
    gone = ProductFactory(portal=portal, name="Gone", archived=True)
    ids = lambda r: [p["id"] for p in r.json()["data"]]  # noqa: E731
    assert ids(api.get("/products")) == [str(gone.pk), str(active.pk)]
    assert ids(api.get("/products", {"archived": "true"})) == [str(gone.pk)]
    assert ids(api.get("/products", {"archived": "false"})) == [str(active.pk)]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"unit_price": 100}, "name"),
        ({"name": "X", "unit_price": "12.50"}, "unit_price"),
        ({"name": "X", "unit_price": -1}, "unit_price"),
        ({"name": "X", "unit_price": 100_000_000}, "unit_price"),
        ({"name": "X", "unit_price": 1, "billing_frequency": "hourly"}, "billing_frequency"),
        ({"name": "X", "unit_price": 1, "term_periods": 12}, "term_periods"),
        ({"name": "   ", "unit_price": 1}, "name"),
        ({"name": "X", "unit_price": 1, "colour": "red"}, "colour"),
    ],
)
def test_invalid_input_is_a_400_naming_the_param_and_creates_nothing(api, body, param):
    assert_error(api.post("/products", body), 400, "invalid_request_error", param)
    assert not Product.objects.exists()


def test_a_taken_sku_is_a_400_on_sku(api, portal):
    ProductFactory(portal=portal, sku="DUP")
    error = assert_error(
        api.post("/products", {"name": "X", "unit_price": 1, "sku": "dup"}),
        400,
        "invalid_request_error",
        "sku",
    )
    assert error["code"] == "duplicate_sku"


def test_malformed_json_is_a_400(api):
    assert_error(api.post("/products", raw="{nope"), 400, "invalid_request_error")


def test_another_portals_product_is_a_404(api, other_portal):
    theirs = ProductFactory(portal=other_portal)
    for response in (
        api.get(f"/products/{theirs.pk}"),
        api.post(f"/products/{theirs.pk}", {"name": "Mine now"}),
        api.post(f"/products/{theirs.pk}/archive"),
        api.get("/products/99999999999999999999999"),
        api.get("/products/abc"),
    ):
        assert_error(response, 404, "invalid_request_error")
    theirs.refresh_from_db()
    assert theirs.name != "Mine now" and not theirs.archived
