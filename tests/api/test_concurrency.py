"""What needs the real servers: two requests with one Idempotency-Key at the same moment
(PostgreSQL), and the rate limit shared through Redis."""

import threading

import pytest
from django.db import connection
from django.test import Client

from api import ratelimit
from commerce.catalog.models import Product

from .conftest import ApiClient, assert_error


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_never_both_run(postgres, make_key):
    secret = make_key().secret
    barrier = threading.Barrier(4)
    statuses: list[int] = []
    bodies: list[bytes] = []

    def post() -> None:
        try:
            api = ApiClient(Client(), secret)
            barrier.wait()
            response = api.post(
                "/products",
                {"name": "Once", "unit_price": 100},
                headers={"Idempotency-Key": "same"},
            )
            statuses.append(response.status_code)
            bodies.append(response.content)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Product.objects.count() == 1
    assert set(statuses) <= {200, 409}
    assert len({b for s, b in zip(statuses, bodies, strict=True) if s == 200}) == 1


@pytest.mark.redis
@pytest.mark.django_db
def test_the_rate_limit_is_counted_in_redis(redis_url, settings, api):
    settings.REDIS_URL = redis_url
    settings.API_RATE_LIMIT_PER_SECOND = 2
    # Another test process may flush the shared database at any moment (tests/conftest.py
    # clears the cache), so a burst is sent and one refusal is enough.
    responses = [api.get("/products") for _ in range(10)]
    refused = [r for r in responses if r.status_code == 429]
    assert refused and responses[0].status_code == 200
    assert_error(refused[0], 429, "rate_limit_error")
    assert int(refused[0]["Retry-After"]) >= 1
    assert not isinstance(ratelimit._limiter(), ratelimit.LocalWindow)
