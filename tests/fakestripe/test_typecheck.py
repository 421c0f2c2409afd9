"""The shape checker itself: it must reject what Stripe would never send."""

from __future__ import annotations

import copy

import pytest

from .typecheck import ShapeError, check_error, check_object, check_response


@pytest.fixture
def pi(connected):
    obj = connected.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
    )
    return obj.to_dict_recursive() if hasattr(obj, "to_dict_recursive") else obj.to_dict()


def test_accepts_a_real_response(pi):
    check_object(pi)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda o: o.update(colour="blue"), "unknown key"),
        (lambda o: o.update(amount="1000"), "expected an integer"),
        (lambda o: o.update(livemode=0), "expected a boolean"),
        (lambda o: o.update(status="paid"), "is not one of"),
        (lambda o: o.update(object="paymentintent"), "unknown object type"),
        (lambda o: o.pop("amount"), "missing"),
        (lambda o: o.update(amount=None), "expected an integer"),
        (lambda o: o.update(latest_charge=12), "latest_charge"),
        (lambda o: o.update(latest_charge={"id": "ch_1", "object": "charge"}), "missing"),
        (lambda o: o["payment_method_options"]["card"].update(colour="x"), "unknown key"),
        (lambda o: o.update(metadata={"a": 1}), "expected a string"),
    ],
)
def test_rejects_wrong_shapes(pi, mutate, message):
    bad = copy.deepcopy(pi)
    mutate(bad)
    with pytest.raises(ShapeError, match=message):
        check_object(bad)


def test_optional_fields_may_be_null_and_expandable_may_be_ids(pi):
    ok = copy.deepcopy(pi)
    ok["customer"] = None
    ok["latest_charge"] = "ch_123"
    check_object(ok)


def test_errors_and_lists():
    check_error(
        {"type": "card_error", "message": "Your card was declined.", "code": "card_declined"}
    )
    with pytest.raises(ShapeError):
        check_error({"type": "bank_error", "message": "x"})
    with pytest.raises(ShapeError):
        check_error({"type": "api_error", "message": "x", "trace": "..."})
    check_response({"object": "list", "data": [], "has_more": False, "url": "/v1/customers"})
    with pytest.raises(ShapeError):
        check_response(
            {"object": "list", "data": [], "has_more": False, "url": "/v1/x", "total": 0}
        )
