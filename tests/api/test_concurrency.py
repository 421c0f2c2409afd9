"""What needs the real servers: two requests with one Idempotency-Key at the same moment
(PostgreSQL), and the rate limit shared through Redis."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from api import ratelimit
from commerce.catalog.models import Product

from .conftest import ApiClient, assert_error

ROOT = Path(__file__).resolve().parents[2]


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


def _database_url() -> str:
    """The test's own database, for processes of its own."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] or "postgres"
    if s.get("PASSWORD"):
        auth += f":{s['PASSWORD']}"
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_two_processes_share_one_budget_per_key(redis_url, make_key, tmp_path):
    """Two processes, each booting Django on the test's database and one Redis, send a
    full budget each with one key: together exactly one budget is accepted, the rest are
    429s with Retry-After. A window of 60 s (budget 60) holds every request of the run,
    so the count does not depend on how fast a loaded machine sends them."""
    window, budget = 60, 60
    secret = make_key().secret  # a new key: its own count, whatever else runs on Redis
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        # A Redis database no test's cache clears (tests/conftest.py flushes REDIS_URL's).
        "REDIS_URL": redis_url.rsplit("/", 1)[0] + "/5",
        "API_RATE_LIMIT_PER_SECOND": "1",
        "API_RATE_LIMIT_WINDOW_SECONDS": str(window),
        "VAR_DIR": str(tmp_path),
        "LOG_LEVEL": "ERROR",
        "CI": "",
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.api._burst", secret, str(budget)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open(tmp_path / f"burst-{i}.log", "wb"),  # noqa: SIM115
            text=True,
        )
        for i in range(2)
    ]
    try:
        for process in processes:
            assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        answers = [json.loads(p.communicate(timeout=300)[0]) for p in processes]
    finally:
        for process in processes:
            process.kill()
            process.wait()
    statuses = [status for each in answers for status, _ in each]
    assert len(statuses) == 2 * budget
    assert statuses.count(200) == budget, statuses
    assert statuses.count(429) == budget, statuses
    waits = [int(wait) for each in answers for status, wait in each if status == 429]
    assert all(1 <= wait <= window for wait in waits), waits
