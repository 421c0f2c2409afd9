"""Every resource through the SDK; every response is checked against the SDK's types."""

from __future__ import annotations

import pytest
import stripe

NEVER_REDIRECT = {"enabled": True, "allow_redirects": "never"}


def test_accounts_create_retrieve_update_list_delete(client, fakestripe):
    acct = client.v1.accounts.create(
        params={"type": "standard", "email": "a@example.com", "metadata": {"portal": "7"}}
    )
    assert acct.id.startswith("acct_")
    assert acct.type == "standard"
    assert acct.controller.type == "application"
    assert acct.controller.stripe_dashboard.type == "full"
    assert (acct.details_submitted, acct.charges_enabled, acct.payouts_enabled) == (
        False,
        False,
        False,
    )
    assert "external_account" in acct.requirements.currently_due
    assert acct.capabilities.card_payments == "inactive"
    assert acct.metadata["portal"] == "7"

    again = client.v1.accounts.retrieve(acct.id)
    assert again.email == "a@example.com"
    updated = client.v1.accounts.update(acct.id, params={"metadata": {"portal": "8", "x": "y"}})
    assert updated.metadata.to_dict() == {"portal": "8", "x": "y"}

    ctrl = client.v1.accounts.create(
        params={
            "controller": {
                "fees": {"payer": "account"},
                "losses": {"payments": "stripe"},
                "stripe_dashboard": {"type": "full"},
            }
        }
    )
    assert ctrl.type == "standard"
    listed = client.v1.accounts.list()
    assert [a.id for a in listed.data] == [ctrl.id, acct.id]

    deleted = client.v1.accounts.delete(ctrl.id)
    assert deleted.deleted is True
    assert [a.id for a in client.v1.accounts.list().data] == [acct.id]

    platform = client.v1.accounts.retrieve_current()
    assert platform.charges_enabled is True


def test_connected_account_sees_itself(make_client, account):
    me = make_client(account).v1.accounts.retrieve_current()
    assert me.id == account
    assert me.charges_enabled and me.payouts_enabled and me.details_submitted


def test_account_link(client, fakestripe):
    acct = client.v1.accounts.create(params={"type": "standard"})
    link = client.v1.account_links.create(
        params={
            "account": acct.id,
            "type": "account_onboarding",
            "refresh_url": "http://127.0.0.1:9/refresh",
            "return_url": "http://127.0.0.1:9/return",
        }
    )
    assert link.url.startswith(f"{fakestripe.url}/connect/onboarding/")
    assert link.expires_at - link.created == 300


def test_customers(client):
    cus = client.v1.customers.create(
        params={
            "email": "c@example.com",
            "name": "Ada",
            "metadata": {"k": "v"},
            "address": {"city": "Paris"},
        }
    )
    assert cus.id.startswith("cus_") and cus.address.city == "Paris"
    cus = client.v1.customers.update(cus.id, params={"name": "Ada L.", "metadata": {"k": ""}})
    assert cus.name == "Ada L." and cus.metadata.to_dict() == {}
    other = client.v1.customers.create(params={"email": "d@example.com"})
    assert [c.id for c in client.v1.customers.list(params={"email": "c@example.com"}).data] == [
        cus.id
    ]
    assert [c.id for c in client.v1.customers.list().data] == [other.id, cus.id]
    gone = client.v1.customers.delete(other.id)
    assert gone.deleted
    assert client.v1.customers.retrieve(other.id).deleted
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.customers.retrieve("cus_missing")
    assert err.value.http_status == 404 and err.value.code == "resource_missing"


def test_payment_methods_attach_detach_list(connected):
    cus = connected.v1.customers.create(params={"email": "p@example.com"})
    pm = connected.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )
    assert pm.card.last4 == "4242" and pm.card.brand == "visa" and pm.customer is None
    attached = connected.v1.payment_methods.attach(pm.id, params={"customer": cus.id})
    assert attached.customer == cus.id
    token_pm = connected.v1.payment_methods.attach(
        "pm_card_mastercard", params={"customer": cus.id}
    )
    assert token_pm.id.startswith("pm_") and token_pm.id != "pm_card_mastercard"
    listed = connected.v1.payment_methods.list(params={"customer": cus.id, "type": "card"})
    assert [p.id for p in listed.data] == [token_pm.id, pm.id]
    by_customer = connected.v1.customers.payment_methods.list(cus.id)
    assert len(by_customer.data) == 2
    detached = connected.v1.payment_methods.detach(pm.id)
    assert detached.customer is None
    assert [p.id for p in connected.v1.customers.payment_methods.list(cus.id).data] == [token_pm.id]
    cus = connected.v1.customers.update(
        cus.id, params={"invoice_settings": {"default_payment_method": token_pm.id}}
    )
    assert cus.invoice_settings.default_payment_method == token_pm.id


def test_declining_card_cannot_be_attached_but_0341_can(connected):
    cus = connected.v1.customers.create()
    with pytest.raises(stripe.CardError) as err:
        connected.v1.payment_methods.attach("pm_card_chargeDeclined", params={"customer": cus.id})
    assert err.value.code == "card_declined"
    pm = connected.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", params={"customer": cus.id}
    )
    assert pm.customer == cus.id


def test_setup_intent_saves_card(connected):
    cus = connected.v1.customers.create()
    si = connected.v1.setup_intents.create(
        params={
            "customer": cus.id,
            "payment_method": "pm_card_visa",
            "confirm": True,
            "automatic_payment_methods": NEVER_REDIRECT,
        }
    )
    assert si.status == "succeeded" and si.usage == "off_session"
    pm = connected.v1.payment_methods.retrieve(si.payment_method)
    assert pm.customer == cus.id
    assert connected.v1.setup_intents.retrieve(si.id).status == "succeeded"
    assert [s.id for s in connected.v1.setup_intents.list(params={"customer": cus.id}).data] == [
        si.id
    ]
    pending = connected.v1.setup_intents.create(params={"customer": cus.id})
    assert pending.status == "requires_payment_method"
    assert connected.v1.setup_intents.cancel(pending.id).status == "canceled"


def test_payment_intent_lifecycle_and_fees(connected, client, account):
    cus = connected.v1.customers.create()
    pi = connected.v1.payment_intents.create(
        params={
            "amount": 10000,
            "currency": "usd",
            "customer": cus.id,
            "application_fee_amount": 500,
            "automatic_payment_methods": NEVER_REDIRECT,
            "metadata": {"order": "42"},
        }
    )
    assert pi.status == "requires_payment_method" and pi.client_secret.startswith(
        pi.id + "_secret_"
    )
    pi = connected.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert pi.status == "succeeded" and pi.amount_received == 10000
    charge = connected.v1.charges.retrieve(pi.latest_charge)
    assert charge.paid and charge.captured and charge.payment_intent == pi.id
    bt = connected.v1.balance_transactions.retrieve(charge.balance_transaction)
    # 2.9% + 30¢ of $100.00 = $3.20, plus the $5.00 application fee
    assert (bt.amount, bt.fee, bt.net, bt.type, bt.source) == (
        10000,
        820,
        9180,
        "charge",
        charge.id,
    )
    assert {(d.type, d.amount) for d in bt.fee_details} == {
        ("stripe_fee", 320),
        ("application_fee", 500),
    }
    fee = client.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount, fee.account, fee.charge) == (500, account, charge.id)
    assert [f.id for f in client.v1.application_fees.list().data] == [fee.id]
    assert [c.id for c in connected.v1.charges.list(params={"payment_intent": pi.id}).data] == [
        charge.id
    ]
    assert [p.id for p in connected.v1.payment_intents.list(params={"customer": cus.id}).data] == [
        pi.id
    ]


def test_manual_capture_and_cancel(connected):
    pi = connected.v1.payment_intents.create(
        params={
            "amount": 5000,
            "currency": "usd",
            "capture_method": "manual",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "automatic_payment_methods": NEVER_REDIRECT,
        }
    )
    assert pi.status == "requires_capture" and pi.amount_capturable == 5000
    pi = connected.v1.payment_intents.capture(pi.id, params={"amount_to_capture": 4000})
    assert pi.status == "succeeded" and pi.amount_received == 4000
    other = connected.v1.payment_intents.create(params={"amount": 5000, "currency": "usd"})
    canceled = connected.v1.payment_intents.cancel(
        other.id, params={"cancellation_reason": "abandoned"}
    )
    assert canceled.status == "canceled" and canceled.cancellation_reason == "abandoned"
    with pytest.raises(stripe.InvalidRequestError) as err:
        connected.v1.payment_intents.cancel(pi.id)
    assert err.value.code == "payment_intent_unexpected_state"


def test_update_payment_intent(connected):
    pi = connected.v1.payment_intents.create(params={"amount": 5000, "currency": "usd"})
    pi = connected.v1.payment_intents.update(
        pi.id, params={"amount": 6000, "description": "x", "metadata": {"a": "b"}}
    )
    assert (pi.amount, pi.description, pi.metadata["a"]) == (6000, "x", "b")


def test_refunds_full_partial_and_never_more(connected):
    pi = connected.v1.payment_intents.create(
        params={
            "amount": 3000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "automatic_payment_methods": NEVER_REDIRECT,
        }
    )
    r1 = connected.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1000})
    assert r1.status == "succeeded" and r1.amount == 1000 and r1.charge == pi.latest_charge
    bt = connected.v1.balance_transactions.retrieve(r1.balance_transaction)
    assert (bt.amount, bt.fee, bt.net, bt.type, bt.source) == (-1000, 0, -1000, "refund", r1.id)
    with pytest.raises(stripe.InvalidRequestError) as err:
        connected.v1.refunds.create(params={"charge": pi.latest_charge, "amount": 2500})
    assert err.value.code == "amount_too_large" and err.value.param == "amount"
    r2 = connected.v1.refunds.create(params={"charge": pi.latest_charge})
    assert r2.amount == 2000
    charge = connected.v1.charges.retrieve(pi.latest_charge)
    assert charge.refunded and charge.amount_refunded == 3000
    with pytest.raises(stripe.InvalidRequestError) as err:
        connected.v1.refunds.create(params={"charge": pi.latest_charge})
    assert err.value.code == "charge_already_refunded"
    r2 = connected.v1.refunds.update(r2.id, params={"metadata": {"why": "dup"}})
    assert r2.metadata["why"] == "dup"
    assert [r.id for r in connected.v1.refunds.list(params={"charge": charge.id}).data] == [
        r2.id,
        r1.id,
    ]


def test_balance_transaction_filters(connected, fakestripe):
    ids = []
    for amount in (1000, 2000):
        pi = connected.v1.payment_intents.create(
            params={
                "amount": amount,
                "currency": "usd",
                "payment_method": "pm_card_visa",
                "confirm": True,
                "automatic_payment_methods": NEVER_REDIRECT,
            }
        )
        ids.append(pi.latest_charge)
        fakestripe.advance_clock(100)
    connected.v1.refunds.create(params={"charge": ids[0], "amount": 100})
    all_bts = connected.v1.balance_transactions.list()
    assert [b.type for b in all_bts.data] == ["refund", "charge", "charge"]
    charges = connected.v1.balance_transactions.list(params={"type": "charge"})
    assert len(charges.data) == 2
    by_source = connected.v1.balance_transactions.list(params={"source": ids[1]})
    assert [b.amount for b in by_source.data] == [2000]
    first = all_bts.data[-1].created
    newer = connected.v1.balance_transactions.list(params={"created": {"gt": first}})
    assert len(newer.data) == 2
    upto = connected.v1.balance_transactions.list(params={"created": {"lte": first}})
    assert len(upto.data) == 1
    assert all(b.status == "pending" for b in all_bts.data if b.amount > 0)
    fakestripe.advance_clock(3 * 86400)
    assert all(b.status == "available" for b in connected.v1.balance_transactions.list().data)


def test_balance_transaction_delay_knob(connected, fakestripe):
    fakestripe.configure(balance_transaction_delay=True)
    pi = connected.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "automatic_payment_methods": NEVER_REDIRECT,
        }
    )
    assert connected.v1.charges.retrieve(pi.latest_charge).balance_transaction is None
    assert fakestripe.settle_balance() == 1
    charge = connected.v1.charges.retrieve(
        pi.latest_charge, params={"expand": ["balance_transaction"]}
    )
    assert charge.balance_transaction.fee == 59
    types = [e.type for e in connected.v1.events.list().data]
    assert "charge.updated" in types


def test_dispute_control_and_0259(connected, fakestripe):
    pi = connected.v1.payment_intents.create(
        params={
            "amount": 4000,
            "currency": "usd",
            "payment_method": "pm_card_createDispute",
            "confirm": True,
            "automatic_payment_methods": NEVER_REDIRECT,
        }
    )
    assert pi.status == "succeeded"
    charge = connected.v1.charges.retrieve(pi.latest_charge)
    assert charge.disputed
    adjustments = connected.v1.balance_transactions.list(params={"type": "adjustment"}).data
    assert [(b.amount, b.fee, b.net) for b in adjustments] == [(-4000, 1500, -5500)]
    dispute = connected.v1.disputes.retrieve(adjustments[0].source)
    assert dispute.charge == charge.id
    events = connected.v1.events.list(params={"type": "charge.dispute.created"}).data
    assert len(events) == 1

    pi2 = connected.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "automatic_payment_methods": NEVER_REDIRECT,
        }
    )
    dp = fakestripe.dispute(pi2.latest_charge)
    assert dp["amount"] == 2000


def test_events_list_filters(connected, fakestripe):
    cus = connected.v1.customers.create()
    connected.v1.customers.update(cus.id, params={"name": "New"})
    events = connected.v1.events.list(params={"type": "customer.*"}).data
    assert [e.type for e in events] == ["customer.updated", "customer.created"]
    assert events[0].data.previous_attributes["name"] is None
    assert events[0].account == connected._requestor._options.stripe_account
    assert [e.type for e in connected.v1.events.list(params={"type": "customer.*"}).data] == [
        "customer.updated",
        "customer.created",
    ]
    assert connected.v1.events.list(params={"type": "charge.succeeded"}).data == []
    assert connected.v1.events.retrieve(events[1].id).type == "customer.created"
    fakestripe.advance_clock(10)
    later = connected.v1.customers.create()
    created = connected.v1.events.list(params={"created": {"gt": events[0].created}}).data
    assert [e.data.object.id for e in created] == [later.id]
    # No endpoint: nothing pending, so every event counts as delivered.
    assert len(connected.v1.events.list(params={"delivery_success": False}).data) == 0


def test_webhook_endpoints_crud(client):
    we = client.v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"], "connect": True}
    )
    assert we.secret.startswith("whsec_") and we.status == "enabled"
    got = client.v1.webhook_endpoints.retrieve(we.id)
    assert "secret" not in got
    updated = client.v1.webhook_endpoints.update(
        we.id, params={"disabled": True, "description": "d"}
    )
    assert updated.status == "disabled"
    assert [w.id for w in client.v1.webhook_endpoints.list().data] == [we.id]
    assert client.v1.webhook_endpoints.delete(we.id).deleted
