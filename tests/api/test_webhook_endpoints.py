"""/api/v1/webhook_endpoints: Settings → Webhooks' services over the API."""

import pytest

from api.models import IdempotencyRecord
from commerce.events.models import WebhookEndpoint

from .conftest import assert_error

pytestmark = pytest.mark.django_db

URL = "https://93.184.216.34/hooks/commerce"  # a public address: no DNS needed


@pytest.fixture(autouse=True)
def production(settings):
    """The address checks of a production hub."""
    settings.DEBUG = False
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False


def _make(portal, **fields):
    from commerce.events import endpoints

    return endpoints.endpoint_create(portal=portal, url=URL, **fields)


def test_create_shows_the_secret_once(api, portal):
    created = api.post(
        "/webhook_endpoints",
        {"url": URL, "description": "ERP", "event_types": ["payment.succeeded"]},
    )
    assert created.status_code == 200, created.content
    body = created.json()
    endpoint = WebhookEndpoint.objects.get(portal=portal)
    assert body["secret"] == endpoint.secret and body["secret"].startswith("whsec_")
    assert body["event_types"] == ["payment.succeeded"] and body["enabled"] is True
    fetched = api.get(f"/webhook_endpoints/{endpoint.pk}").json()
    assert "secret" not in fetched
    assert fetched == {k: v for k, v in body.items() if k != "secret"}
    assert all("secret" not in e for e in api.get("/webhook_endpoints").json()["data"])


def test_update_disable_roll_and_delete(api, portal):
    endpoint = _make(portal)
    updated = api.post(
        f"/webhook_endpoints/{endpoint.pk}",
        {"description": "Books", "event_types": [], "enabled": False},
    )
    assert updated.status_code == 200, updated.content
    assert updated.json()["description"] == "Books" and updated.json()["enabled"] is False
    assert updated.json()["url"] == URL and "secret" not in updated.json()
    old = endpoint.secret
    rolled = api.post(f"/webhook_endpoints/{endpoint.pk}/roll_secret").json()
    endpoint.refresh_from_db()
    assert rolled["secret"] == endpoint.secret != old and endpoint.previous_secret == old
    gone = api.client.delete(f"/api/v1/webhook_endpoints/{endpoint.pk}", headers=api._headers(None))
    assert gone.json() == {"id": str(endpoint.pk), "object": "webhook_endpoint", "deleted": True}
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "http://93.184.216.34/hook",
        "not a url",
    ],
)
def test_an_unsafe_url_is_a_400_on_url(api, portal, url):
    error = assert_error(
        api.post("/webhook_endpoints", {"url": url}), 400, "invalid_request_error", "url"
    )
    assert error["code"] == "url_refused"
    endpoint = _make(portal)
    assert_error(
        api.post(f"/webhook_endpoints/{endpoint.pk}", {"url": url}),
        400,
        "invalid_request_error",
        "url",
    )
    endpoint.refresh_from_db()
    assert endpoint.url == URL and WebhookEndpoint.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "url"),
        ({"url": URL, "event_types": ["product.exploded"]}, "event_types[0]"),
        ({"url": URL, "event_types": ["payment.succeeded", "webhook.test"]}, "event_types[1]"),
        ({"url": URL, "description": "x" * 201}, "description"),
        ({"url": URL, "enabled": "no"}, "enabled"),
        ({"url": URL, "secret": "whsec_mine"}, "secret"),
    ],
)
def test_invalid_input_is_a_400_and_creates_nothing(api, body, param):
    assert_error(api.post("/webhook_endpoints", body), 400, "invalid_request_error", param)
    assert not WebhookEndpoint.objects.exists()


def test_pages_and_constant_queries(api, portal, django_assert_num_queries):
    made = [_make(portal) for _ in range(3)]
    first = api.get("/webhook_endpoints", {"limit": 2}).json()
    assert [e["id"] for e in first["data"]] == [str(made[2].pk), str(made[1].pk)]
    rest = api.get("/webhook_endpoints", {"limit": 2, "starting_after": str(made[1].pk)}).json()
    assert [e["id"] for e in rest["data"]] == [str(made[0].pk)] and not rest["has_more"]
    for _ in range(20):
        _make(portal)
    with django_assert_num_queries(1):
        assert len(api.get("/webhook_endpoints", {"limit": 100}).json()["data"]) == 23


def test_scopes_are_checked(make_key, api_for, portal):
    endpoint = _make(portal)
    reader = api_for(make_key(["webhook_endpoints:read"]).secret)
    assert reader.get(f"/webhook_endpoints/{endpoint.pk}").status_code == 200
    assert_error(
        reader.post(f"/webhook_endpoints/{endpoint.pk}/roll_secret"), 403, "permission_error"
    )
    assert_error(
        reader.client.delete(
            f"/api/v1/webhook_endpoints/{endpoint.pk}", headers=reader._headers(None)
        ),
        403,
        "permission_error",
    )
    writer = api_for(make_key(["webhook_endpoints:write"]).secret)
    assert_error(writer.get("/webhook_endpoints"), 403, "permission_error")
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk, secret=endpoint.secret).exists()


def test_another_portals_endpoint_is_a_404(api, other_portal):
    theirs = _make(other_portal)
    for response in (
        api.get(f"/webhook_endpoints/{theirs.pk}"),
        api.post(f"/webhook_endpoints/{theirs.pk}", {"description": "Mine now"}),
        api.post(f"/webhook_endpoints/{theirs.pk}/roll_secret"),
        api.client.delete(f"/api/v1/webhook_endpoints/{theirs.pk}", headers=api._headers(None)),
        api.get("/webhook_endpoints/abc"),
    ):
        assert_error(response, 404, "invalid_request_error")
    theirs.refresh_from_db()
    assert theirs.description == "" and not theirs.previous_secret
    assert api.get("/webhook_endpoints").json()["data"] == []


def test_a_replayed_create_makes_one_endpoint(api):
    headers = {"Idempotency-Key": "hook-1"}
    first = api.post("/webhook_endpoints", {"url": URL}, headers=headers)
    again = api.post("/webhook_endpoints", {"url": URL}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert WebhookEndpoint.objects.count() == 1 and IdempotencyRecord.objects.count() == 1
