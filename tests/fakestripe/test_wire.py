"""Wire format: auth, errors, parameters, idempotency, Stripe-Account, pagination, expand."""

from __future__ import annotations

import threading

import pytest
import stripe

from .support import api

NEVER = {"enabled": True, "allow_redirects": "never"}


# --- authentication (docs.stripe.com/api/authentication) -----------------------------


def test_missing_and_invalid_keys_are_401(fakestripe):
    import requests

    resp = requests.get(f"{fakestripe.url}/v1/customers", timeout=10)
    assert resp.status_code == 401
    assert resp.json()["error"]["type"] == "invalid_request_error"
    for key in ("sk_live_abc", "rk_live_x", "nonsense", "sk_test_"):
        resp = api(fakestripe, "GET", "/v1/customers", key=key)
        assert resp.status_code == 401, key
    assert api(fakestripe, "GET", "/v1/customers", key="sk_test_anything").status_code == 200


def test_sdk_raises_authentication_error(make_client):
    bad = make_client(api_key="sk_live_nope")
    with pytest.raises(stripe.AuthenticationError):
        bad.v1.customers.list()


def test_publishable_key_only_for_client_side_calls(fakestripe, client):
    pi = client.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    pk = fakestripe.publishable_key
    assert api(fakestripe, "GET", "/v1/customers", key=pk).status_code == 401
    resp = api(
        fakestripe,
        "GET",
        f"/v1/payment_intents/{pi.id}",
        key=pk,
        params={"client_secret": pi.client_secret},
    )
    assert resp.status_code == 200 and resp.json()["id"] == pi.id
    wrong = api(
        fakestripe, "GET", f"/v1/payment_intents/{pi.id}", key=pk, params={"client_secret": "nope"}
    )
    assert wrong.status_code == 404
    pm = api(
        fakestripe,
        "POST",
        "/v1/payment_methods",
        key=pk,
        data={
            "type": "card",
            "card[number]": "4242424242424242",
            "card[exp_month]": "4",
            "card[exp_year]": "2040",
            "card[cvc]": "314",
        },
    )
    assert pm.status_code == 200
    confirmed = api(
        fakestripe,
        "POST",
        f"/v1/payment_intents/{pi.id}/confirm",
        key=pk,
        data={
            "client_secret": pi.client_secret,
            "payment_method": pm.json()["id"],
            "return_url": "http://127.0.0.1:9/r",
        },
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "succeeded"
    # With a secret key, client_secret is not a confirm parameter.
    resp = api(
        fakestripe, "POST", f"/v1/payment_intents/{pi.id}/confirm", data={"client_secret": "x"}
    )
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "parameter_unknown"


def test_stripe_version_and_request_id_headers(fakestripe):
    resp = api(fakestripe, "GET", "/v1/customers")
    assert resp.headers["Stripe-Version"] == stripe.api_version == "2026-10-28.endive"
    assert resp.headers["Request-Id"].startswith("req_")


# --- bad input (docs.stripe.com/error-codes) ----------------------------------------------


def test_unknown_missing_and_invalid_parameters(client):
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.create(params={"currency": "usd"})
    assert (err.value.code, err.value.param, err.value.http_status) == (
        "parameter_missing",
        "amount",
        400,
    )
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.customers.create(params={"emial": "typo@example.com"})
    assert (err.value.code, err.value.param) == ("parameter_unknown", "emial")
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.customers.create(params={"address": {"city": "x", "planet": "Mars"}})
    assert (err.value.code, err.value.param) == ("parameter_unknown", "address[planet]")
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.create(params={"amount": "ten", "currency": "usd"})
    assert (err.value.code, err.value.param) == ("parameter_invalid_integer", "amount")
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.create(
            params={"amount": 100, "currency": "usd", "capture_method": "later"}
        )
    assert err.value.param == "capture_method"
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.create(params={"amount": 10, "currency": "usd"})
    assert err.value.code == "amount_too_small"
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.customers.list(params={"limit": 101})
    assert err.value.param == "limit"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/customers", b"a[b=1&c]]=2"),
        ("POST", "/v1/customers", b"\xff\xfe=\x00"),
        ("POST", "/v1/customers", b"metadata=notadict"),
        ("POST", "/v1/payment_intents", b"amount[0]=1&currency=usd"),
        ("POST", "/v1/payment_intents", b"amount=100&currency=usd&metadata[a][b]=c"),
        ("GET", "/v1/customers?limit=abc&created[gt]=x", b""),
        ("GET", "/v1/customers?starting_after=cus_nope", b""),
        ("POST", "/v1/payment_intents/pi_nope/confirm", b""),
        ("POST", "/v1/refunds", b"charge="),
        ("DELETE", "/v1/payment_intents", b""),
        ("GET", "/v1/nothing/here", b""),
    ],
)
def test_garbage_never_500(fakestripe, method, path, body):
    resp = api(
        fakestripe,
        method,
        path,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert 400 <= resp.status_code < 500, resp.text
    error = resp.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"]
    assert "Traceback" not in resp.text


def test_unknown_url_is_404(fakestripe):
    resp = api(fakestripe, "GET", "/v1/widgets")
    assert resp.status_code == 404
    assert "Unrecognized request URL" in resp.json()["error"]["message"]


# --- idempotency (docs.stripe.com/api/idempotent_requests) --------------------------------


def test_idempotent_replay(client, fakestripe):
    first = client.v1.customers.create(
        params={"email": "i@example.com"}, options={"idempotency_key": "k1"}
    )
    again = client.v1.customers.create(
        params={"email": "i@example.com"}, options={"idempotency_key": "k1"}
    )
    assert first.id == again.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert len(client.v1.customers.list().data) == 1


def test_idempotent_replay_of_errors(connected):
    params = {
        "amount": 1000,
        "currency": "usd",
        "payment_method": "pm_card_chargeDeclined",
        "confirm": True,
        "automatic_payment_methods": NEVER,
    }
    with pytest.raises(stripe.CardError) as first:
        connected.v1.payment_intents.create(params=params, options={"idempotency_key": "decline"})
    with pytest.raises(stripe.CardError) as second:
        connected.v1.payment_intents.create(params=params, options={"idempotency_key": "decline"})
    assert first.value.error.payment_intent.id == second.value.error.payment_intent.id
    assert second.value.headers.get("Idempotent-Replayed") == "true"
    assert len(connected.v1.payment_intents.list().data) == 1


def test_validation_errors_are_not_saved(client):
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.create(params={"bogus": "1"}, options={"idempotency_key": "k2"})
    ok = client.v1.customers.create(
        params={"email": "x@example.com"}, options={"idempotency_key": "k2"}
    )
    assert ok.email == "x@example.com"


def test_idempotency_conflict_different_parameters(client):
    client.v1.customers.create(params={"email": "a@example.com"}, options={"idempotency_key": "k3"})
    with pytest.raises(stripe.IdempotencyError) as err:
        client.v1.customers.create(
            params={"email": "b@example.com"}, options={"idempotency_key": "k3"}
        )
    assert err.value.http_status == 400
    with pytest.raises(stripe.IdempotencyError):
        client.v1.payment_intents.create(
            params={"amount": 100, "currency": "usd"}, options={"idempotency_key": "k3"}
        )


def test_idempotency_concurrent_duplicate_is_409(fakestripe):
    fakestripe.inject_failure("/v1/customers", "delay", delay_seconds=1.0)
    results = {}

    def first():
        results["first"] = api(
            fakestripe,
            "POST",
            "/v1/customers",
            data={"email": "c@example.com"},
            headers={"Idempotency-Key": "same"},
        )

    t = threading.Thread(target=first)
    t.start()
    import time

    time.sleep(0.3)
    second = api(
        fakestripe,
        "POST",
        "/v1/customers",
        data={"email": "c@example.com"},
        headers={"Idempotency-Key": "same"},
    )
    t.join()
    assert second.status_code == 409
    assert second.json()["error"]["type"] == "idempotency_error"
    assert results["first"].status_code == 200
    third = api(
        fakestripe,
        "POST",
        "/v1/customers",
        data={"email": "c@example.com"},
        headers={"Idempotency-Key": "same"},
    )
    assert third.json()["id"] == results["first"].json()["id"]


def test_idempotency_keys_are_scoped_per_account(client, connected):
    a = client.v1.customers.create(options={"idempotency_key": "scoped"})
    b = connected.v1.customers.create(options={"idempotency_key": "scoped"})
    assert a.id != b.id


# --- Stripe-Account (docs.stripe.com/connect/authentication) -------------------------------


def test_account_isolation(client, make_client, account):
    other = client.v1.accounts.create(params={"type": "standard"}).id
    mine, theirs = make_client(account), make_client(other)
    cus = mine.v1.customers.create(params={"email": "iso@example.com"})
    pi = mine.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    for c in (theirs, client):
        with pytest.raises(stripe.InvalidRequestError) as err:
            c.v1.customers.retrieve(cus.id)
        assert err.value.http_status == 404
        with pytest.raises(stripe.InvalidRequestError):
            c.v1.payment_intents.retrieve(pi.id)
        assert c.v1.customers.list().data == []
    assert [x.id for x in mine.v1.customers.list().data] == [cus.id]


def test_unknown_or_deauthorized_account_is_403(make_client, fakestripe, account):
    with pytest.raises(stripe.PermissionError) as err:
        make_client("acct_doesnotexist").v1.customers.list()
    assert (err.value.http_status, err.value.error.code) == (403, "account_invalid")
    fakestripe.deauthorize(account)
    with pytest.raises(stripe.PermissionError) as err:
        make_client(account).v1.customers.list()
    assert err.value.error.code == "account_invalid"


# --- pagination (docs.stripe.com/api/pagination) -------------------------------------------


def test_pagination(client):
    ids = [client.v1.customers.create(params={"email": f"p{i}@example.com"}).id for i in range(25)]
    newest_first = list(reversed(ids))
    page = client.v1.customers.list(params={"limit": 10})
    assert [c.id for c in page.data] == newest_first[:10] and page.has_more
    page2 = client.v1.customers.list(params={"limit": 10, "starting_after": page.data[-1].id})
    assert [c.id for c in page2.data] == newest_first[10:20] and page2.has_more
    page3 = client.v1.customers.list(params={"limit": 10, "starting_after": page2.data[-1].id})
    assert [c.id for c in page3.data] == newest_first[20:] and not page3.has_more
    back = client.v1.customers.list(params={"limit": 5, "ending_before": page2.data[0].id})
    assert [c.id for c in back.data] == newest_first[5:10] and back.has_more
    assert [
        c.id for c in client.v1.customers.list(params={"limit": 3}).auto_paging_iter()
    ] == newest_first
    assert len(client.v1.customers.list().data) == 10  # default limit
    assert len(client.v1.customers.list(params={"limit": 100}).data) == 25


# --- expand (docs.stripe.com/api/expanding_objects) ----------------------------------------


def test_expand_nested_and_lists(connected):
    cus = connected.v1.customers.create()
    pi = connected.v1.payment_intents.create(
        params={
            "amount": 1500,
            "currency": "usd",
            "customer": cus.id,
            "payment_method": "pm_card_visa",
            "confirm": True,
            "automatic_payment_methods": NEVER,
            "expand": ["customer", "latest_charge.balance_transaction", "payment_method"],
        }
    )
    assert pi.customer.id == cus.id
    assert pi.latest_charge.balance_transaction.fee == 74
    assert pi.payment_method.card.last4 == "4242"
    listed = connected.v1.payment_intents.list(
        params={"expand": ["data.latest_charge", "data.customer"]}
    )
    assert listed.data[0].latest_charge.object == "charge"
    assert listed.data[0].customer.id == cus.id
    bts = connected.v1.balance_transactions.list(params={"expand": ["data.source"]})
    assert bts.data[0].source.object == "charge"
    # Stored objects are not changed by expansion.
    assert isinstance(connected.v1.payment_intents.retrieve(pi.id).latest_charge, str)
    with pytest.raises(stripe.InvalidRequestError) as err:
        connected.v1.payment_intents.retrieve(pi.id, params={"expand": ["amount"]})
    assert "cannot be expanded" in str(err.value)


def test_metadata_everywhere(connected, fakestripe):
    cus = connected.v1.customers.create(params={"metadata": {"a": "1", "b": "2"}})
    cus = connected.v1.customers.update(cus.id, params={"metadata": {"a": "", "c": "3"}})
    assert cus.metadata.to_dict() == {"b": "2", "c": "3"}
    cus = connected.v1.customers.update(cus.id, params={"metadata": ""})
    assert cus.metadata.to_dict() == {}
