"""Fixtures for fakestripe's own tests: SDK clients whose every response is shape-checked."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

import pytest
import requests
import stripe

if "fakestripe.pytest_plugin" not in sys.modules:  # unless registered with -p already
    from fakestripe.pytest_plugin import fakestripe, fakestripe_server  # noqa: F401

from tests.recorder import Receiver

from .typecheck import check_response

CHECKED: list[int] = [0]


class CheckingClient(stripe.RequestsClient):
    """The SDK's own HTTP client, validating every JSON body against the SDK's types."""

    def request(self, method, url, headers, post_data=None, **kwargs):
        body, status, rheaders = super().request(method, url, headers, post_data, **kwargs)
        check_response(json.loads(body))
        CHECKED[0] += 1
        return body, status, rheaders


@pytest.fixture
def make_client(fakestripe):
    """`make_client(stripe_account=None, **options)` → a shape-checking StripeClient."""

    def make(stripe_account: str | None = None, **options):
        session = requests.Session()
        session.trust_env = False
        options.setdefault("http_client", CheckingClient(session=session))
        return fakestripe.client(stripe_account, **options)

    return make


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def account(client, fakestripe) -> str:
    """A verified Standard connected account."""
    acct = client.v1.accounts.create(params={"type": "standard", "email": "shop@example.com"})
    fakestripe.verify_account(acct.id)
    return acct.id


@pytest.fixture
def connected(make_client, account):
    return make_client(account)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()
