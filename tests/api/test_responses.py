"""What every API answer carries, whichever way it was rendered."""

import pytest

from tests.factories import PaymentFactory

from .conftest import assert_error

pytestmark = pytest.mark.django_db

JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"


def test_json_answers_carry_the_fixed_policy_and_pages_the_hubs(api, portal, client):
    payment = PaymentFactory(portal=portal)
    answers = [
        api.get("/payments"),  # rendered by api/rendering.py
        api.get(f"/payments/{payment.pk}"),
        api.get("/products"),  # rendered by ninja
        api.get("/payments/999999"),  # 404
        api.client.get("/api/v1/products"),  # no key: 401
        api.client.delete("/api/v1/payments"),  # 405
        api.client.get("/api/v1/openapi.json"),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 404, 401, 405, 200]
    for answer in answers:
        assert answer["Content-Type"].startswith("application/json")
        assert answer["Content-Security-Policy"] == JSON_POLICY
    assert_error(answers[5], 405, "invalid_request_error")
    # The pages around the API keep the hub's own policy, built for them
    docs = client.get("/api/docs")
    assert "script-src" in docs["Content-Security-Policy"]
    assert docs["Content-Security-Policy"] != JSON_POLICY


def test_both_renderings_send_the_same_content_type(api, portal):
    PaymentFactory(portal=portal)
    assert api.get("/payments")["Content-Type"] == api.get("/products")["Content-Type"]
