"""fakestripe's objects carry every field of Stripe's sample objects.

The reference is Stripe's official sample object of each resource (the fixtures of
Stripe's public OpenAPI repository, ../shared/stripe/fixtures3.json beside the
checkout). Their field names are written out below, so the test runs anywhere; a
second test compares them with the fixtures file when it is there, so they cannot drift.
Extra fields are allowed only where the pinned SDK knows them (the shape checks of
conftest.py reject anything else), and an event carries `account` exactly when it
belongs to a connected account (docs.stripe.com/connect/webhooks).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NEVER = {"enabled": True, "allow_redirects": "never"}
FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "stripe" / "fixtures3.json"

SAMPLE_FIELDS = {
    "refund": {
        "amount", "balance_transaction", "charge", "created", "currency", "customer",
        "customer_account", "destination_details", "id", "metadata", "object",
        "payment_intent", "payment_method", "reason", "receipt_number",
        "source_transfer_reversal", "status", "transfer_reversal",
    },
    "charge": {
        "amount", "amount_captured", "amount_refunded", "application", "application_fee",
        "application_fee_amount", "balance_transaction", "billing_details",
        "calculated_statement_descriptor", "captured", "created", "currency", "customer",
        "description", "disputed", "failure_balance_transaction", "failure_code",
        "failure_message", "fraud_details", "id", "livemode", "metadata", "object",
        "on_behalf_of", "outcome", "paid", "payment_intent", "payment_method",
        "payment_method_details", "receipt_email", "receipt_number", "receipt_url",
        "refunded", "refunds", "review", "shipping", "source", "source_transfer",
        "statement_descriptor", "statement_descriptor_suffix", "status", "transfer_data",
        "transfer_group",
    },
    "payment_intent": {
        "amount", "amount_capturable", "amount_details", "amount_received", "application",
        "application_fee_amount", "automatic_payment_methods", "canceled_at",
        "cancellation_reason", "capture_method", "client_secret", "confirmation_method",
        "created", "currency", "customer", "customer_account", "description",
        "excluded_payment_method_types", "id", "last_payment_error", "latest_charge",
        "livemode", "managed_payments", "metadata", "next_action", "object", "on_behalf_of",
        "payment_method", "payment_method_configuration_details", "payment_method_options",
        "payment_method_types", "processing", "receipt_email", "review",
        "setup_future_usage", "shipping", "source", "statement_descriptor",
        "statement_descriptor_suffix", "status", "transfer_data", "transfer_group",
    },
    "event": {
        "api_version", "created", "data", "id", "livemode", "object", "pending_webhooks",
        "request", "type",
    },
}  # fmt: skip


def _missing(kind: str, obj) -> set[str]:
    return SAMPLE_FIELDS[kind] - set(obj.to_dict())


@pytest.fixture
def paid(connected):
    """A card payment on a connected account with a customer, refunded in part."""
    customer = connected.v1.customers.create(params={"email": "buyer@example.com"})
    pi = connected.v1.payment_intents.create(
        params={
            "amount": 3000,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": "pm_card_visa",
            "confirm": True,
            "automatic_payment_methods": NEVER,
        }
    )
    refund = connected.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1000})
    return customer, pi, refund


def test_refund_carries_every_field_of_stripes_sample(connected, paid):
    customer, pi, refund = paid
    assert _missing("refund", refund) == set()
    charge = connected.v1.charges.retrieve(pi.latest_charge)
    # The refund names the charge's customer and card, as Stripe's does.
    assert (refund.customer, refund.payment_method) == (customer.id, charge.payment_method)
    assert refund.customer_account is None
    again = connected.v1.refunds.retrieve(refund.id)
    assert _missing("refund", again) == set()
    listed = connected.v1.refunds.list(params={"charge": charge.id}).data
    assert [_missing("refund", r) for r in listed] == [set()]


def test_charge_carries_every_field_of_stripes_sample(connected, paid):
    _customer, pi, refund = paid
    # `refunds` is includable: present only when expanded (API 2022-11-15 and later).
    charge = connected.v1.charges.retrieve(pi.latest_charge)
    assert _missing("charge", charge) == {"refunds"}
    assert charge.source is None
    expanded = connected.v1.charges.retrieve(pi.latest_charge, params={"expand": ["refunds"]})
    assert _missing("charge", expanded) == set()
    assert expanded.refunds.object == "list"
    assert [r.id for r in expanded.refunds.data] == [refund.id]
    assert expanded.refunds.url == f"/v1/charges/{charge.id}/refunds"
    listed = connected.v1.charges.list(params={"expand": ["data.refunds"]}).data
    assert [r.id for r in listed[0].refunds.data] == [refund.id]


def test_payment_intent_carries_every_field_of_stripes_sample(connected, paid):
    _customer, pi, _refund = paid
    assert _missing("payment_intent", pi) == set()
    again = connected.v1.payment_intents.retrieve(pi.id)
    assert _missing("payment_intent", again) == set()
    assert (again.customer_account, again.managed_payments) == (None, None)


def test_events_carry_the_samples_fields_and_account_exactly_on_connect_events(
    client, connected, account, paid
):
    platform = client.v1.customers.create(params={"email": "platform@example.com"})
    platform_events = client.v1.events.list(params={"type": "customer.created"}).data
    assert [e.data.object.id for e in platform_events] == [platform.id]
    assert set(platform_events[0].to_dict()) == SAMPLE_FIELDS["event"]
    connect_events = connected.v1.events.list().data
    assert connect_events
    for event in connect_events:
        assert set(event.to_dict()) == SAMPLE_FIELDS["event"] | {"account"}
        assert event.account == account


def test_the_field_names_above_are_stripes_samples():
    if not FIXTURES.exists():
        pytest.skip(f"Stripe's sample objects are not at {FIXTURES}")
    resources = json.loads(FIXTURES.read_text())["resources"]
    for kind, fields in SAMPLE_FIELDS.items():
        assert set(resources[kind]) == fields, kind
