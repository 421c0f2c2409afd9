"""What reaches the API before any of its views: a NUL anywhere, or a body that is not
JSON, is a 4xx in the API's one error shape, never the hub's HTML page nor a 500."""

import pytest

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def _json_error(response, status):
    assert response["Content-Type"] == "application/json"
    return assert_error(response, status, "invalid_request_error")


@pytest.mark.parametrize(
    "body",
    [b'{"name": "a\\u0000b", "unit_price": 100}', b'{"name": "a\x00b", "unit_price": 100}'],
)
def test_a_nul_in_a_json_body_is_the_api_400(api, body):
    error = _json_error(api.post("/products", raw=body), 400)
    assert error["code"] == "nul_character"
    assert api.get("/products").json()["data"] == []


@pytest.mark.parametrize(
    "path, params, headers",
    [
        ("/products/1\x00", {}, {}),
        ("/products", {"starting_after": "a\x00b"}, {}),
        ("/events", {"a\x00": "1"}, {}),
        ("/products", {}, {"X-Note": "a\x00b"}),
    ],
)
def test_a_nul_in_the_path_query_or_a_header_is_the_api_400(api, path, params, headers):
    _json_error(api.get(path, params, headers=headers), 400)


def test_a_nul_without_a_key_is_still_the_api_400(client):
    response = client.get("/api/v1/products", {"limit": "\x00"})
    _json_error(response, 400)


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("application/x-www-form-urlencoded", "name=Widget&unit_price=100"),
        (
            "multipart/form-data; boundary=XX",
            '--XX\r\nContent-Disposition: form-data; name="name"\r\n\r\nWidget\r\n--XX--\r\n',
        ),
        ("text/plain", '{"name": "Widget", "unit_price": 100}'),
        ("", '{"name": "Widget", "unit_price": 100}'),
    ],
)
def test_a_body_that_is_not_json_is_a_415_and_creates_nothing(api, client, content_type, body):
    response = client.post(
        "/api/v1/products",
        body,
        content_type=content_type,
        headers={"Authorization": f"Bearer {api.secret}"},
    )
    error = _json_error(response, 415)
    assert error["code"] == "unsupported_media_type"
    assert "application/json" in error["message"]
    assert api.get("/products").json()["data"] == []


@pytest.mark.parametrize("body, status", [(b"name=a\x00b", 400), (b"name=a%00b", 415)])
def test_a_form_with_a_nul_gets_the_api_shape_not_the_hub_page(api, client, body, status):
    # The form is never parsed under /api/: a raw NUL is seen in the bytes, an encoded
    # one is left to the 415 of a body that is not JSON.
    response = client.post(
        "/api/v1/products",
        body,
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": f"Bearer {api.secret}"},
    )
    _json_error(response, status)


def test_an_action_without_a_body_ignores_its_content_type(api, client):
    # A multipart Content-Type with no body once made the API read a consumed stream (500).
    product = api.post("/products", {"name": "Widget", "unit_price": 100}).json()
    response = client.post(
        f"/api/v1/products/{product['id']}/archive",
        b"",
        content_type="multipart/form-data; boundary=XX",
        headers={"Authorization": f"Bearer {api.secret}"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["archived"] is True


def test_the_hub_pages_keep_their_own_400(admin_client_):
    response = admin_client_.get("/contacts/", {"q": "a\x00b"})
    assert response.status_code == 400
    assert not response["Content-Type"].startswith("application/json")
