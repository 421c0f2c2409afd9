"""/api/v1/payments: the ledger, and refunds against fakestripe through the real SDK."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.payments import PaymentList, PaymentOut
from commerce.events.services import snapshot
from payments.models import Payment, Refund
from tests.factories import PaymentFactory
from tests.payments.support import fakestripe_account, paid_payment, stripe_refunds

from .conftest import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(stripe_hub, portal):
    """A $50.00 payment really charged in fakestripe."""
    return paid_payment(stripe_hub, fakestripe_account(stripe_hub, portal), amount=5_000)


def _at(payment, when):
    Payment.objects.filter(pk=payment.pk).update(created_at=when)
    return payment


def _ids(response):
    assert response.status_code == 200, response.content
    return [p["id"] for p in response.json()["data"]]


def test_retrieve_is_the_snapshot_with_gross_fee_and_net(api, portal):
    payment = PaymentFactory(portal=portal, amount=10_000, fee=320, net=9_680)
    body = api.get(f"/payments/{payment.pk}").json()
    payment.refresh_from_db()
    assert body == snapshot(payment)[1]
    assert (body["amount"], body["fee"], body["net"]) == (10_000, 320, 9_680)


def test_list_and_retrieve_bodies_are_exactly_their_schemas(api, portal):
    # The hot reads render snapshots without ninja validating them (api/rendering.py):
    # here they are held to the schema the OpenAPI document gives, strictly.
    PaymentFactory(portal=portal, fee=None, net=None, paid_at=None)  # before any fee sync
    PaymentFactory(
        portal=portal,
        status=Payment.Status.DISPUTED,
        fee=175,
        net=4_825,
        dispute_id="du_123",
        dispute_status="needs_response",
        dispute_reason="fraudulent",
        dispute_amount=5_000,
        dispute_due_by=datetime(2026, 3, 1, tzinfo=UTC),
    )
    listed = api.get("/payments")
    assert listed["Content-Type"] == "application/json; charset=utf-8"
    body = PaymentList.model_validate_json(listed.content, strict=True)
    assert body.model_dump() == listed.json() and len(body.data) == 2
    for payment in listed.json()["data"]:
        one = api.get(f"/payments/{payment['id']}")
        assert PaymentOut.model_validate_json(one.content, strict=True).model_dump() == payment
        assert one.json() == payment
    assert listed.json()["data"][0]["dispute"]["due_by"] == "2026-03-01T00:00:00+00:00"


def test_after_the_first_request_a_retrieve_is_one_query_and_none_for_the_key(api, portal):
    payment = PaymentFactory(portal=portal)
    api.get("/payments")  # the key's first request in this process verifies it
    for path, params in ((f"/payments/{payment.pk}", {}), ("/payments", {"limit": 100})):
        with CaptureQueriesContext(connection) as queries:
            assert api.get(path, params).status_code == 200
        assert len(queries) == 1, queries.captured_queries
        assert "api_apikey" not in queries.captured_queries[0]["sql"]


def test_list_filters_by_status_and_created(api, portal):
    jan = _at(PaymentFactory(portal=portal), datetime(2026, 1, 10, 12, tzinfo=UTC))
    feb = _at(
        PaymentFactory(portal=portal, status=Payment.Status.REFUNDED),
        datetime(2026, 2, 10, 12, tzinfo=UTC),
    )
    assert _ids(api.get("/payments")) == [str(feb.pk), str(jan.pk)]
    assert _ids(api.get("/payments", {"status": "refunded"})) == [str(feb.pk)]
    assert _ids(api.get("/payments", {"created[gte]": "2026-02-01"})) == [str(feb.pk)]
    assert _ids(api.get("/payments", {"created[lte]": "2026-01-10T12:00:00Z"})) == [str(jan.pk)]
    window = {"created[gte]": "2026-01-10T13:00:00+01:00", "created[lte]": "2026-02-01"}
    assert _ids(api.get("/payments", window)) == [str(jan.pk)]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"status": "lost"}, "status"),
        ({"created[gte]": "yesterday"}, "created[gte]"),
        ({"created[lte]": "2026-01-10T12:00:00"}, "created[lte]"),  # no time zone
        ({"limit": 0}, "limit"),
    ],
)
def test_bad_filters_are_a_400(api, params, param):
    assert_error(api.get("/payments", params), 400, "invalid_request_error", param)


def test_pages_walk_the_payments(api, portal):
    payments = PaymentFactory.create_batch(3, portal=portal)
    first = api.get("/payments", {"limit": 2}).json()
    assert [p["id"] for p in first["data"]] == [str(payments[2].pk), str(payments[1].pk)]
    rest = api.get("/payments", {"limit": 2, "starting_after": str(payments[1].pk)}).json()
    assert [p["id"] for p in rest["data"]] == [str(payments[0].pk)] and not rest["has_more"]


@pytest.mark.parametrize("size", [1, 30])
def test_a_list_costs_the_same_queries_whatever_its_size(
    api, portal, size, django_assert_num_queries
):
    PaymentFactory.create_batch(size, portal=portal)
    api.get("/products")  # the key's first request verifies it
    with django_assert_num_queries(1):
        assert len(api.get("/payments", {"limit": 100}).json()["data"]) == size


def test_a_partial_then_the_rest_refunded_at_stripe(api, stripe_hub, paid):
    partial = api.post(f"/payments/{paid.pk}/refund", {"amount": 1_250, "reason": "duplicate"})
    assert partial.status_code == 200, partial.content
    assert partial.json()["status"] == "partially_refunded"
    assert partial.json()["amount_refunded"] == 1_250
    rest = api.post(f"/payments/{paid.pk}/refund")  # no amount: everything left
    assert rest.json()["status"] == "refunded" and rest.json()["amount_refunded"] == 5_000
    assert sorted(r.amount for r in stripe_refunds(stripe_hub, paid)) == [1_250, 3_750]
    refund = Refund.objects.filter(payment=paid).order_by("pk").first()
    assert refund.reason == "duplicate" and refund.created_by is None
    error = assert_error(
        api.post(f"/payments/{paid.pk}/refund"), 400, "invalid_request_error", None
    )
    assert error["code"] == "refund_refused" and "fully refunded" in error["message"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"amount": 5_001}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": "10.00"}, "amount"),
        ({"reason": "changed_mind"}, "reason"),
        ({"note": "x" * 301}, "note"),
        ({"currency": "eur"}, "currency"),
    ],
)
def test_an_invalid_refund_is_a_400_and_refunds_nothing(api, stripe_hub, paid, body, param):
    assert_error(api.post(f"/payments/{paid.pk}/refund", body), 400, "invalid_request_error", param)
    paid.refresh_from_db()
    assert paid.refunded_amount == 0 and not Refund.objects.exists()
    assert stripe_refunds(stripe_hub, paid) == []


def test_a_replayed_refund_refunds_once(api, stripe_hub, paid):
    headers = {"Idempotency-Key": "refund-1"}
    first = api.post(f"/payments/{paid.pk}/refund", {"amount": 1_000}, headers=headers)
    again = api.post(f"/payments/{paid.pk}/refund", {"amount": 1_000}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert len(stripe_refunds(stripe_hub, paid)) == 1
    paid.refresh_from_db()
    assert paid.refunded_amount == 1_000


def test_scopes_are_checked(make_key, api_for, stripe_hub, paid):
    reader = api_for(make_key(["payments:read"]).secret)
    assert reader.get(f"/payments/{paid.pk}").status_code == 200
    assert_error(reader.post(f"/payments/{paid.pk}/refund"), 403, "permission_error")
    writer = api_for(make_key(["payments:write"]).secret)
    assert_error(writer.get("/payments"), 403, "permission_error")
    assert stripe_refunds(stripe_hub, paid) == []


def test_another_portals_payment_is_a_404(api, other_portal):
    theirs = PaymentFactory(portal=other_portal)
    for response in (
        api.get(f"/payments/{theirs.pk}"),
        api.post(f"/payments/{theirs.pk}/refund", {"amount": 100}),
        api.get("/payments/abc"),
    ):
        assert_error(response, 404, "invalid_request_error")
    assert api.get("/payments").json()["data"] == []
    assert not Refund.objects.exists()
