"""Keys and a client that sends them."""

from __future__ import annotations

import pytest

from api import keycache, ratelimit, services
from api.scopes import SCOPES


@pytest.fixture(autouse=True)
def _fresh_api_state():
    keycache.clear()
    ratelimit.clear()
    yield
    keycache.clear()
    ratelimit.clear()


@pytest.fixture
def make_key(portal, super_admin):
    def make(scopes=SCOPES, *, portal=portal, name="Test key", **kwargs):
        return services.key_create(
            portal=portal, name=name, scopes=list(scopes), created_by=super_admin, **kwargs
        )

    return make


class ApiClient:
    """Django's test client with a bearer key and JSON bodies."""

    def __init__(self, client, secret: str | None):
        self.client = client
        self.secret = secret

    def _headers(self, headers):
        out = dict(headers or {})
        if self.secret is not None:
            out.setdefault("Authorization", f"Bearer {self.secret}")
        return out

    def get(self, path, params=None, headers=None):
        return self.client.get(f"/api/v1{path}", params or {}, headers=self._headers(headers))

    def post(self, path, body=None, headers=None, raw=None):
        data = raw if raw is not None else __import__("json").dumps(body or {})
        return self.client.post(
            f"/api/v1{path}", data, content_type="application/json", headers=self._headers(headers)
        )


@pytest.fixture
def api(client, make_key):
    return ApiClient(client, make_key().secret)


@pytest.fixture
def api_for(client):
    def make(secret):
        return ApiClient(client, secret)

    return make


def assert_error(response, status, type_, param=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"type", "code", "message", "param"}
    assert body["error"]["type"] == type_
    assert body["error"]["message"]
    if param is not None:
        assert body["error"]["param"] == param
    return body["error"]
