"""Keys: exactly their scopes, refused when wrong, revoked or expired, and verified from
memory after their first request."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import services
from api.models import ApiKey
from commerce.clock import hub_now
from tests.factories import ProductFactory

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def test_the_secret_is_stored_only_as_its_hash(make_key):
    created = make_key()
    assert created.secret.startswith("chk_live_") and len(created.secret) >= len("chk_live_") + 32
    row = ApiKey.objects.get()
    assert created.secret not in (row.secret_hash, row.prefix)
    assert created.secret.startswith(row.prefix)
    assert row.secret_hash == services.secret_hash(created.secret)


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer chk_live_wrong", "Bearer sk_live_xyz", "Basic Zm9vOmJhcg=="],
)
def test_no_valid_key_is_a_401(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/products", headers=headers)
    assert_error(response, 401, "authentication_error")


def test_a_revoked_key_is_a_401_at_once_in_this_process(make_key, api_for):
    created = make_key()
    api = api_for(created.secret)
    assert api.get("/products").status_code == 200
    services.key_revoke(key=created.key)
    error = assert_error(api.get("/products"), 401, "authentication_error")
    assert error["code"] == "api_key_revoked"


def test_a_key_revoked_elsewhere_stops_within_five_seconds(make_key, api_for):
    created = make_key()
    api = api_for(created.secret)
    with time_machine.travel(hub_now(), tick=False) as traveller:
        assert api.get("/products").status_code == 200
        ApiKey.objects.filter(pk=created.key.pk).update(revoked_at=hub_now())  # another process
        assert api.get("/products").status_code == 200  # still trusted from memory
        traveller.shift(dt.timedelta(seconds=5))
        assert_error(api.get("/products"), 401, "authentication_error")


def test_an_expired_key_is_a_401(make_key, api_for):
    created = make_key(expires_at=hub_now() + dt.timedelta(hours=1))
    api = api_for(created.secret)
    assert api.get("/products").status_code == 200
    with time_machine.travel(hub_now() + dt.timedelta(hours=2)):
        error = assert_error(api.get("/products"), 401, "authentication_error")
    assert error["code"] == "api_key_expired"


def test_a_missing_scope_is_a_403_and_changes_nothing(make_key, api_for, portal):
    product = ProductFactory(portal=portal, name="Kept")
    api = api_for(make_key(["products:read"]).secret)
    assert api.get(f"/products/{product.pk}").status_code == 200
    assert_error(api.post(f"/products/{product.pk}", {"name": "Changed"}), 403, "permission_error")
    assert_error(api.get("/contacts"), 403, "permission_error")
    product.refresh_from_db()
    assert product.name == "Kept"


def test_a_key_acts_only_for_its_portal(make_key, api_for, other_portal):
    ProductFactory(portal=other_portal)
    api = api_for(make_key(portal=other_portal).secret)
    assert len(api.get("/products").json()["data"]) == 1


def test_after_the_first_request_the_key_costs_no_query(api, portal):
    ProductFactory.create_batch(3, portal=portal)
    api.get("/products")  # verifies the key and records its use
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/products").status_code == 200
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "api_apikey" not in sql
    assert len(queries) == 1  # the page itself


def test_last_used_is_written_at_most_once_a_minute(make_key, api_for):
    created = make_key()
    api = api_for(created.secret)
    start = hub_now()
    with time_machine.travel(start, tick=False) as traveller:
        api.get("/products")
        first = ApiKey.objects.get().last_used_at
        assert first is not None
        traveller.shift(dt.timedelta(seconds=30))
        api.get("/products")
        assert ApiKey.objects.get().last_used_at == first
        traveller.shift(dt.timedelta(seconds=31))
        api.get("/products")
        assert ApiKey.objects.get().last_used_at > first


def test_over_the_rate_limit_is_a_429_with_retry_after(api, settings):
    settings.REDIS_URL = ""  # in memory: parallel tests flush the shared Redis database
    settings.API_RATE_LIMIT_PER_SECOND = 3
    for _ in range(3):
        assert api.get("/products").status_code == 200
    response = api.get("/products")
    assert_error(response, 429, "rate_limit_error")
    assert response["Retry-After"] == "1"
