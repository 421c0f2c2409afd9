"""Failure injection with the SDK's own retries, the clock, stats, snapshots, the CLI."""

from __future__ import annotations

import time

import pytest
import requests
import stripe
from stripe._http_client import HTTPClient

from fakestripe.pytest_plugin import FakeStripeServer

from .support import api


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setattr(HTTPClient, "INITIAL_DELAY", 0.01)
    monkeypatch.setattr(HTTPClient, "MAX_DELAY", 0.02)


def customers(fakestripe) -> int:
    return len(fakestripe.client().v1.customers.list(params={"limit": 100}).data)


def calls(fakestripe, key="POST /v1/customers") -> int:
    return fakestripe.stats()["calls"].get(key, 0)


def test_rate_limit_is_not_retried_by_the_sdk(fakestripe, make_client, fast_retries):
    fakestripe.inject_failure("/v1/customers", "rate_limit")
    c = make_client(max_network_retries=2)
    with pytest.raises(stripe.RateLimitError) as err:
        c.v1.customers.create()
    assert err.value.http_status == 429 and err.value.error.code == "rate_limit"
    assert c.v1.customers.create().id  # the failure was for one call only
    assert customers(fakestripe) == 1


@pytest.mark.parametrize("kind", ["lock_timeout", "server_error", "drop"])
def test_transient_failures_before_execution_are_retried(
    fakestripe, make_client, fast_retries, kind
):
    """Nothing is saved for the key, so the SDK's retry executes normally."""
    fakestripe.inject_failure("/v1/customers", kind, when="before")
    c = make_client(max_network_retries=2)
    cus = c.v1.customers.create(params={"email": "retry@example.com"})
    assert cus.last_response.headers.get("Idempotent-Replayed") is None
    assert customers(fakestripe) == 1
    assert calls(fakestripe) == 2


@pytest.mark.parametrize("kind", ["server_error", "drop"])
def test_failures_after_execution_replay_the_saved_result(
    fakestripe, make_client, fast_retries, kind
):
    """The object was created and the response lost: the retry gets the replay."""
    fakestripe.inject_failure("/v1/customers", kind, when="after")
    c = make_client(max_network_retries=2)
    cus = c.v1.customers.create(params={"email": "lost@example.com"})
    assert cus.last_response.headers.get("Idempotent-Replayed") == "true"
    assert customers(fakestripe) == 1


def test_failures_without_retries_surface(fakestripe, make_client):
    c = make_client(max_network_retries=0)
    fakestripe.inject_failure("/v1/customers", "server_error")
    with pytest.raises(stripe.APIError) as err:
        c.v1.customers.create()
    assert err.value.http_status == 500
    fakestripe.inject_failure("/v1/customers", "drop")
    with pytest.raises(stripe.APIConnectionError):
        c.v1.customers.create()
    fakestripe.inject_failure("/v1/customers", "lock_timeout")
    with pytest.raises(stripe.RateLimitError) as err:
        c.v1.customers.create()
    assert err.value.headers.get("Stripe-Should-Retry") == "true"
    assert customers(fakestripe) == 0


def test_delay_count_pattern_and_method(fakestripe, make_client):
    c = make_client()
    cus = c.v1.customers.create()
    fakestripe.inject_failure("/v1/customers/*", "delay", method="GET", count=2, delay_seconds=0.3)
    for expected_slow in (True, True, False):
        start = time.monotonic()
        c.v1.customers.retrieve(cus.id)
        assert (time.monotonic() - start >= 0.3) is expected_slow
    fakestripe.inject_failure("/v1/customers", "server_error", count=3)
    assert len(fakestripe.control("failures", "GET")["failures"]) == 1
    fakestripe.clear_failures()
    assert c.v1.customers.create().id


def test_invalid_failure_spec(fakestripe):
    resp = requests.post(f"{fakestripe.url}/_fake/failures", json={"kind": "meteor"}, timeout=5)
    assert resp.status_code == 400


def test_clock_advance(fakestripe, client):
    before = fakestripe.now()
    a = client.v1.customers.create()
    fakestripe.advance_clock(86400)
    b = client.v1.customers.create()
    assert b.created - a.created >= 86400
    assert fakestripe.now() >= before + 86400
    assert (
        requests.post(
            f"{fakestripe.url}/_fake/clock/advance", json={"seconds": -5}, timeout=5
        ).status_code
        == 400
    )


def test_stats(fakestripe, client):
    fakestripe.reset_stats()
    cus = client.v1.customers.create()
    client.v1.customers.retrieve(cus.id)
    client.v1.customers.retrieve(cus.id)
    stats = fakestripe.stats()
    assert stats["calls"] == {"POST /v1/customers": 1, "GET /v1/customers/{customer}": 2}
    assert stats["total"] == 3


def test_account_link_single_use_and_expiry(fakestripe, client):
    acct = client.v1.accounts.create(params={"type": "standard"})

    def link():
        return client.v1.account_links.create(
            params={
                "account": acct.id,
                "type": "account_onboarding",
                "refresh_url": "http://127.0.0.1:9/refresh",
                "return_url": "http://127.0.0.1:9/return",
            }
        ).url

    url = link()
    first = requests.get(url, allow_redirects=False, timeout=5)
    assert first.status_code == 200 and "Submit and verify now" in first.text
    reused = requests.get(url, allow_redirects=False, timeout=5)
    assert (reused.status_code, reused.headers["Location"]) == (302, "http://127.0.0.1:9/refresh")
    expired = link()
    fakestripe.advance_clock(301)
    resp = requests.get(expired, allow_redirects=False, timeout=5)
    assert resp.headers["Location"] == "http://127.0.0.1:9/refresh"


def test_controls_are_json_and_validate(fakestripe):
    assert (
        requests.post(f"{fakestripe.url}/_fake/accounts/acct_nope/verify", timeout=5).status_code
        == 404
    )
    assert requests.post(f"{fakestripe.url}/_fake/nope", timeout=5).status_code == 404
    assert (
        requests.post(f"{fakestripe.url}/_fake/config", json={"bogus": 1}, timeout=5).status_code
        == 400
    )


def test_seed_control(fakestripe, client):
    out = fakestripe.control("seed", count=10)
    assert out["created"] == 10
    assert len(client.v1.customers.list().data) == 5
    pi = client.v1.payment_intents.retrieve(out["sample"]["payment_intent"][0])
    assert pi.status == "succeeded"


def test_cors_preflight(fakestripe):
    resp = requests.options(f"{fakestripe.url}/v1/payment_intents/pi_x", timeout=5)
    assert resp.status_code == 204
    assert "Stripe-Account" in resp.headers["Access-Control-Allow-Headers"]


def test_snapshot_survives_restart_and_webhook_flag(tmp_path):
    snapshot = tmp_path / "fakestripe.json"
    args = [
        "--snapshot",
        str(snapshot),
        "--webhook",
        "http://127.0.0.1:9/hooks/",
        "--webhook-secret",
        "whsec_test_secret",
    ]
    server = FakeStripeServer(extra_args=args).start()
    try:
        c = stripe.StripeClient("sk_test_x", base_addresses={"api": server.url})
        acct = c.v1.accounts.create(params={"type": "standard", "email": "keep@example.com"})
        cus = stripe.StripeClient(
            "sk_test_x", base_addresses={"api": server.url}, stripe_account=acct.id
        ).v1.customers.create()
        endpoints = c.v1.webhook_endpoints.list().data
        assert len(endpoints) == 2
        assert {e.url for e in endpoints} == {"http://127.0.0.1:9/hooks/"}
    finally:
        server.stop()  # SIGTERM: saved on shutdown
    assert snapshot.exists()
    server = FakeStripeServer(extra_args=args).start()
    try:
        c = stripe.StripeClient("sk_test_x", base_addresses={"api": server.url})
        assert c.v1.accounts.retrieve(acct.id).email == "keep@example.com"
        assert [a.id for a in c.v1.accounts.list().data] == [acct.id]
        again = stripe.StripeClient(
            "sk_test_x", base_addresses={"api": server.url}, stripe_account=acct.id
        )
        assert again.v1.customers.retrieve(cus.id).id == cus.id
        assert len(c.v1.webhook_endpoints.list().data) == 2  # not duplicated
        resp = api(
            type("H", (), {"url": server.url, "secret_key": "sk_test_x"}), "GET", "/v1/events"
        )
        assert resp.status_code == 200
    finally:
        server.stop()
