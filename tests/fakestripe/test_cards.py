"""Test cards behave as docs.stripe.com/testing documents."""

from __future__ import annotations

import pytest
import stripe

NEVER = {"enabled": True, "allow_redirects": "never"}


def pay(c, pm, **extra):
    params = {
        "amount": 2500,
        "currency": "usd",
        "payment_method": pm,
        "confirm": True,
        "automatic_payment_methods": NEVER,
    }
    params.update(extra)
    return c.v1.payment_intents.create(params=params)


@pytest.mark.parametrize(
    ("pm", "code", "decline_code", "message"),
    [
        ("pm_card_chargeDeclined", "card_declined", "generic_decline", "Your card was declined."),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            "card_declined",
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
        (
            "pm_card_chargeDeclinedExpiredCard",
            "expired_card",
            "expired_card",
            "Your card has expired.",
        ),
    ],
)
def test_declines(connected, pm, code, decline_code, message):
    with pytest.raises(stripe.CardError) as err:
        pay(connected, pm)
    e = err.value
    assert (e.http_status, e.code, e.error.decline_code, e.user_message) == (
        402,
        code,
        decline_code,
        message,
    )
    assert e.error.type == "card_error"
    pi = e.error.payment_intent
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == code
    assert pi.last_payment_error.decline_code == decline_code
    charge = connected.v1.charges.retrieve(pi.latest_charge)
    assert (
        charge.status == "failed"
        and charge.failure_code == code
        and charge.outcome.type == "issuer_declined"
    )
    types = [ev.type for ev in connected.v1.events.list(params={"limit": 3}).data]
    assert types[:2] == ["payment_intent.payment_failed", "charge.failed"]


def test_raw_card_numbers(connected):
    for number, ok in (("4242424242424242", True), ("4000000000000002", False)):
        pm = connected.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {"number": number, "exp_month": 1, "exp_year": 2040, "cvc": "1"},
            }
        )
        if ok:
            assert pay(connected, pm.id).status == "succeeded"
        else:
            with pytest.raises(stripe.CardError):
                pay(connected, pm.id)
    with pytest.raises(stripe.CardError) as err:
        connected.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {"number": "4242424242424241", "exp_month": 1, "exp_year": 2040},
            }
        )
    assert err.value.code == "incorrect_number"


def test_3ds_on_session_requires_action_then_completes(connected, fakestripe):
    pi = pay(connected, "pm_card_authenticationRequiredOnSetup")
    assert pi.status == "requires_action"
    assert pi.next_action.type == "use_stripe_sdk"
    fakestripe.authenticate(pi.id, "complete")
    pi = connected.v1.payment_intents.retrieve(pi.id)
    assert pi.status == "succeeded"
    charge = connected.v1.charges.retrieve(pi.latest_charge)
    assert charge.payment_method_details.card.three_d_secure.result == "authenticated"


def test_3ds_fail(connected, fakestripe):
    pi = pay(
        connected, "pm_card_authenticationRequiredOnSetup", return_url="http://127.0.0.1:9/back"
    )
    assert pi.next_action.type == "redirect_to_url"
    assert pi.next_action.redirect_to_url.return_url == "http://127.0.0.1:9/back"
    fakestripe.authenticate(pi.id, "fail")
    pi = connected.v1.payment_intents.retrieve(pi.id)
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.code == "payment_intent_authentication_failure"


def test_off_session_without_setup_needs_authentication(connected):
    cus = connected.v1.customers.create()
    pm = connected.v1.payment_methods.attach(
        "pm_card_authenticationRequiredOnSetup", params={"customer": cus.id}
    )
    with pytest.raises(stripe.CardError) as err:
        pay(connected, pm.id, customer=cus.id, off_session=True)
    assert err.value.code == "authentication_required"
    assert err.value.error.payment_intent.status == "requires_payment_method"
    assert err.value.error.payment_intent.last_payment_error.code == "authentication_required"


def test_off_session_after_setup_intent_succeeds(connected, fakestripe):
    cus = connected.v1.customers.create()
    si = connected.v1.setup_intents.create(
        params={
            "customer": cus.id,
            "payment_method": "pm_card_authenticationRequiredOnSetup",
            "confirm": True,
            "automatic_payment_methods": NEVER,
        }
    )
    assert si.status == "requires_action"
    fakestripe.authenticate(si.id, "complete")
    si = connected.v1.setup_intents.retrieve(si.id)
    assert si.status == "succeeded"
    pi = pay(connected, si.payment_method, customer=cus.id, off_session=True)
    assert pi.status == "succeeded"


def test_setup_future_usage_saves_card_for_off_session(connected, fakestripe):
    cus = connected.v1.customers.create()
    pi = pay(
        connected,
        "pm_card_authenticationRequiredOnSetup",
        customer=cus.id,
        setup_future_usage="off_session",
    )
    assert pi.status == "requires_action"
    fakestripe.authenticate(pi.id)
    pi = connected.v1.payment_intents.retrieve(pi.id)
    assert pi.status == "succeeded"
    pm = connected.v1.payment_methods.retrieve(pi.payment_method)
    assert pm.customer == cus.id
    again = pay(connected, pm.id, customer=cus.id, off_session=True)
    assert again.status == "succeeded"


def test_setup_intent_declined_and_3ds_failure(connected, fakestripe):
    cus = connected.v1.customers.create()
    with pytest.raises(stripe.CardError) as err:
        connected.v1.setup_intents.create(
            params={
                "customer": cus.id,
                "payment_method": "pm_card_chargeDeclined",
                "confirm": True,
                "automatic_payment_methods": NEVER,
            }
        )
    assert err.value.error.setup_intent.last_setup_error.code == "card_declined"
    si = connected.v1.setup_intents.create(
        params={
            "customer": cus.id,
            "payment_method": "pm_card_authenticationRequired",
            "confirm": True,
            "automatic_payment_methods": NEVER,
        }
    )
    fakestripe.authenticate(si.id, "fail")
    si = connected.v1.setup_intents.retrieve(si.id)
    assert si.status == "requires_payment_method"
    assert si.last_setup_error.code == "setup_intent_authentication_failure"
    types = [e.type for e in connected.v1.events.list(params={"type": "setup_intent.*"}).data]
    assert types.count("setup_intent.setup_failed") == 2


def test_attaches_then_fails(connected):
    cus = connected.v1.customers.create()
    pm = connected.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", params={"customer": cus.id}
    )
    for _ in range(2):
        with pytest.raises(stripe.CardError) as err:
            pay(connected, pm.id, customer=cus.id, off_session=True)
        assert err.value.code == "card_declined"


def test_confirm_needs_return_url_with_redirecting_methods(connected):
    pi = connected.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as err:
        connected.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert err.value.param == "return_url"
    ok = connected.v1.payment_intents.confirm(
        pi.id, params={"payment_method": "pm_card_visa", "return_url": "http://127.0.0.1:9/r"}
    )
    assert ok.status == "succeeded"


def test_application_fee_needs_connected_account(client):
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.create(
            params={"amount": 1000, "currency": "usd", "application_fee_amount": 10}
        )
    assert err.value.param == "application_fee_amount"
