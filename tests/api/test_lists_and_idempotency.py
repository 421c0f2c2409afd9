"""Cursor pagination, idempotent POSTs, and the one error shape."""

import json

import pytest

from api.idempotency import KEEP_FOR
from api.models import IdempotencyRecord
from commerce.catalog.models import Product
from commerce.clock import hub_now
from tests.factories import ContactFactory, ProductFactory

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def test_pages_walk_the_list_newest_first(api, portal):
    products = ProductFactory.create_batch(5, portal=portal)
    expected = [str(p.pk) for p in reversed(products)]
    first = api.get("/products", {"limit": 2}).json()
    assert first["object"] == "list" and first["has_more"] is True
    assert [p["id"] for p in first["data"]] == expected[:2]
    second = api.get("/products", {"limit": 2, "starting_after": expected[1]}).json()
    assert [p["id"] for p in second["data"]] == expected[2:4]
    last = api.get("/products", {"limit": 2, "starting_after": expected[3]}).json()
    assert [p["id"] for p in last["data"]] == expected[4:] and last["has_more"] is False
    assert len(api.get("/products").json()["data"]) == 5  # default limit 10


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"starting_after": "x"}, "starting_after"),
    ],
)
def test_bad_list_params_are_a_400(api, params, param):
    assert_error(api.get("/products", params), 400, "invalid_request_error", param)


@pytest.mark.parametrize("size", [1, 30])
def test_a_list_costs_the_same_queries_whatever_its_size(
    api, portal, size, django_assert_num_queries
):
    ProductFactory.create_batch(size, portal=portal)
    ContactFactory.create_batch(size, portal=portal)
    api.get("/products")  # the key's first request verifies it
    with django_assert_num_queries(1):
        assert len(api.get("/products", {"limit": 100}).json()["data"]) == size
    with django_assert_num_queries(1):
        assert len(api.get("/contacts", {"limit": 100}).json()["data"]) == size


def test_the_same_key_and_body_replay_the_first_response_and_create_nothing(api):
    body = {"name": "Widget", "unit_price": 500}
    headers = {"Idempotency-Key": "order-42"}
    first = api.post("/products", body, headers=headers)
    again = api.post("/products", {"unit_price": 500, "name": "Widget"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Product.objects.count() == 1


def test_an_error_is_replayed_too(api, portal):
    ProductFactory(portal=portal, sku="TAKEN")
    headers = {"Idempotency-Key": "k1"}
    body = {"name": "X", "unit_price": 1, "sku": "TAKEN"}
    first = api.post("/products", body, headers=headers)
    Product.objects.all().delete()
    again = api.post("/products", body, headers=headers)
    assert first.status_code == again.status_code == 400
    assert again.content == first.content and not Product.objects.exists()


def test_the_same_key_with_another_body_is_a_409(api):
    headers = {"Idempotency-Key": "k2"}
    api.post("/products", {"name": "A", "unit_price": 1}, headers=headers)
    error = assert_error(
        api.post("/products", {"name": "B", "unit_price": 1}, headers=headers),
        409,
        "idempotency_error",
    )
    assert error["code"] == "idempotency_key_reused"
    assert list(Product.objects.values_list("name", flat=True)) == ["A"]


def test_keys_are_per_api_key_and_kept_24_hours(api, make_key, api_for):
    headers = {"Idempotency-Key": "shared"}
    api.post("/products", {"name": "A", "unit_price": 1}, headers=headers)
    api_for(make_key().secret).post("/products", {"name": "A", "unit_price": 1}, headers=headers)
    assert Product.objects.count() == 2
    IdempotencyRecord.objects.update(created_at=hub_now() - KEEP_FOR)
    api.post("/products", {"name": "A", "unit_price": 1}, headers=headers)
    assert Product.objects.count() == 3


def test_records_older_than_24_hours_are_purged(api):
    from api.tasks import purge_idempotency_records

    api.post("/products", {"name": "A", "unit_price": 1}, headers={"Idempotency-Key": "old"})
    api.post("/products", {"name": "B", "unit_price": 1}, headers={"Idempotency-Key": "new"})
    IdempotencyRecord.objects.filter(key="old").update(created_at=hub_now() - KEEP_FOR)
    assert purge_idempotency_records.delay().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_a_request_in_progress_with_the_key_is_a_409(api, make_key):
    # What a second request sees on a database that does not make it wait.
    from api.models import ApiKey

    key = ApiKey.objects.get()
    IdempotencyRecord.objects.create(
        api_key=key, key="busy", request_hash="x", created_at=hub_now()
    )
    response = api.post(
        "/products", {"name": "A", "unit_price": 1}, headers={"Idempotency-Key": "busy"}
    )
    assert_error(response, 409, "idempotency_error")
    assert not Product.objects.exists()


def test_a_too_long_idempotency_key_is_a_400(api):
    response = api.post(
        "/products", {"name": "A", "unit_price": 1}, headers={"Idempotency-Key": "k" * 256}
    )
    assert_error(response, 400, "invalid_request_error", "Idempotency-Key")


def test_no_error_leaks_internals(api):
    for response in (
        api.post("/products", raw="[1, 2"),
        api.post("/products", raw=json.dumps([1, 2])),
        api.post("/products", {"name": {"nested": 1}, "unit_price": 1}),
        api.get("/products", {"archived": "perhaps"}),
        api.get("/nowhere"),
        api.client.delete("/api/v1/products"),
    ):
        assert response.status_code in {400, 404, 405}, response.content
        error = assert_error(response, response.status_code, "invalid_request_error")
        assert "pydantic" not in error["message"] and "Traceback" not in error["message"]


def test_a_request_never_answered_is_taken_over_after_a_while(api):
    # A process that died mid-request leaves its record in progress; a retry after
    # LOST_AFTER runs (the work rolled back with the process: nothing was made).
    from api.idempotency import LOST_AFTER
    from api.models import ApiKey

    body = {"name": "A", "unit_price": 1}
    IdempotencyRecord.objects.create(
        api_key=ApiKey.objects.get(),
        key="lost",
        request_hash="x",
        created_at=hub_now() - LOST_AFTER,
    )
    response = api.post("/products", body, headers={"Idempotency-Key": "lost"})
    assert response.status_code == 200, response.content
    assert list(Product.objects.values_list("name", flat=True)) == ["A"]
    again = api.post("/products", body, headers={"Idempotency-Key": "lost"})
    assert again.content == response.content and Product.objects.count() == 1


def test_an_unexpected_failure_forgets_the_key_and_keeps_nothing(api, monkeypatch):
    from commerce.catalog import services

    def broken(**kwargs):
        raise RuntimeError("injected fault")

    monkeypatch.setattr(services, "product_create", broken)
    api.client.raise_request_exception = False
    headers = {"Idempotency-Key": "fault"}
    failed = api.post("/products", {"name": "A", "unit_price": 1}, headers=headers)
    assert failed.status_code == 500
    assert not IdempotencyRecord.objects.exists() and not Product.objects.exists()
    monkeypatch.undo()
    retried = api.post("/products", {"name": "A", "unit_price": 1}, headers=headers)
    assert retried.status_code == 200 and Product.objects.count() == 1
