"""The payable registry: what a checkout can pay for, registered by the apps above
payments, and the system check that refuses to start without it."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.utils import timezone

from commerce.customers.models import Contact
from payments import checkout as checkout_service
from payments.checkout import payables
from payments.checkout.payables import (
    COMPLETION_HOOKS,
    DOCUMENT_SOURCES,
    INTENT_RESOLVERS,
    PAYABLES,
    Payable,
    check_payables,
    checkout_sources,
    register_completion_hook,
    register_payable,
)
from payments.models import Checkout, Payment, StripeEvent
from payments.webhooks.handlers import checkout as checkout_handlers
from quotes.payment import quote_checkout_paid, quote_document
from subscriptions.billing import attempt_resolve_from_intent
from subscriptions.models import Subscription
from subscriptions.services import subscriptions_create_for_checkout
from tests.payments.support import confirm, make_link, start_checkout


def _paid_link_checkout(stripe_hub, portal, user) -> Checkout:
    """A link checkout (a one-time line and a monthly plan) the buyer just paid; the hub
    has not completed it yet."""
    link = make_link(portal, user)
    checkout = start_checkout(Client(), link)
    assert confirm(stripe_hub, checkout)["status"] == "succeeded"
    return checkout


@pytest.fixture
def completion_hook():
    """Registers a completion hook for one test, then takes it away again."""
    added = []

    def register(hook):
        added.append(register_completion_hook(hook))
        return hook

    yield register
    for hook in added:
        COMPLETION_HOOKS.remove(hook)


# --- The system check -------------------------------------------------------------------


def test_every_checkout_source_has_a_payable_in_the_real_configuration():
    assert set(checkout_sources()) == {"payment_link", "quote", "invoice"}
    assert set(PAYABLES) == set(checkout_sources())
    assert check_payables() == []
    call_command("check")


def test_start_up_fails_when_a_checkout_source_has_no_payable(monkeypatch):
    # Given the invoices app did not register its payable
    monkeypatch.delitem(PAYABLES, "invoice")

    # Then the system check names the source and how to fix it
    errors = check_payables()
    assert [error.id for error in errors] == ["payments.E001"]
    assert "Checkout source 'invoice' has no registered payable" in errors[0].msg
    assert "register_payable" in (errors[0].hint or "")

    # And `manage.py check` (run at start-up) refuses
    with pytest.raises(SystemCheckError, match="Checkout source 'invoice' has no registered"):
        call_command("check")


def test_a_payable_for_a_source_a_checkout_cannot_have_fails_the_check(monkeypatch):
    monkeypatch.setitem(PAYABLES, "gift_card", Payable(source="gift_card", on_paid=print))
    errors = check_payables()
    assert [error.id for error in errors] == ["payments.E002"]
    assert "'gift_card'" in errors[0].msg


# --- Registration -----------------------------------------------------------------------


def test_the_apps_register_their_kinds_and_hooks():
    assert PAYABLES["quote"] == Payable(
        source="quote", on_paid=quote_checkout_paid, describe=quote_document
    )
    assert not PAYABLES["payment_link"].is_document
    assert sorted(DOCUMENT_SOURCES) == ["invoice", "quote"]
    assert "payment_link" not in DOCUMENT_SOURCES
    assert subscriptions_create_for_checkout in COMPLETION_HOOKS
    assert INTENT_RESOLVERS["billing_attempt"] is attempt_resolve_from_intent


def test_registering_again_is_a_no_op_but_other_hooks_for_a_source_are_refused(monkeypatch):
    monkeypatch.setitem(PAYABLES, "quote", PAYABLES["quote"])
    known = PAYABLES["quote"]
    register_payable(source="quote", on_paid=known.on_paid, describe=known.describe)
    assert PAYABLES["quote"] == known
    with pytest.raises(RuntimeError, match="two payables for checkout source 'quote'"):
        register_payable(source="quote", on_paid=print)


def test_a_source_without_describe_cannot_start_as_a_document():
    with pytest.raises(ValueError, match="not paid as a document"):
        checkout_service.payable_checkout_start(source="payment_link", document=object())


# --- Completion calls what is registered ------------------------------------------------


def test_completion_runs_the_hooks_then_the_payables_on_paid(
    stripe_hub, ready_account, portal, sales_rep, monkeypatch, completion_hook
):
    # Given a hook of every paid checkout and a recording on_paid for links
    calls = []
    completion_hook(lambda **kwargs: calls.append(("hook", sorted(kwargs))))

    def on_paid(*, checkout, payment):
        # The subscriptions hook ran first, in the same transaction, before success.
        assert Subscription.objects.filter(source_checkout_id=checkout.pk).exists()
        assert Checkout.objects.get(pk=checkout.pk).status == Checkout.Status.OPEN
        calls.append(("on_paid", payment.payment_intent_id))

    monkeypatch.setitem(PAYABLES, "payment_link", Payable(source="payment_link", on_paid=on_paid))
    checkout = _paid_link_checkout(stripe_hub, portal, sales_rep)

    # When the checkout completes, twice (return page and webhook)
    intent = checkout_service.fetch_intent(checkout)
    checkout_service.checkout_complete(checkout_id=checkout.pk, payment_intent=intent)
    checkout_service.checkout_complete(checkout_id=checkout.pk, payment_intent=intent)

    # Then every hook ran once, in order, after the payment was recorded
    assert calls == [
        ("hook", ["checkout", "contact", "payment_intent"]),
        ("on_paid", checkout.payment_intent_id),
    ]
    assert Checkout.objects.get(pk=checkout.pk).status == Checkout.Status.SUCCEEDED


def test_a_hook_that_fails_undoes_the_whole_completion(
    stripe_hub, ready_account, portal, sales_rep, completion_hook
):
    def broken(**kwargs):
        raise RuntimeError("hook failed")

    completion_hook(broken)
    checkout = _paid_link_checkout(stripe_hub, portal, sales_rep)
    intent = checkout_service.fetch_intent(checkout)

    with pytest.raises(RuntimeError, match="hook failed"):
        checkout_service.checkout_complete(checkout_id=checkout.pk, payment_intent=intent)

    # Nothing of the completion stays: the next return or webhook starts it afresh.
    assert Checkout.objects.get(pk=checkout.pk).status == Checkout.Status.OPEN
    assert not Payment.objects.exists()
    assert not Contact.objects.exists()
    assert not Subscription.objects.exists()


# --- Intents of no checkout -------------------------------------------------------------


def _event(account: str, intent: dict) -> StripeEvent:
    return StripeEvent.objects.create(
        stripe_id=f"evt_{intent['id']}",
        type="payment_intent.succeeded",
        account=account,
        created=timezone.now(),
        payload={"id": f"evt_{intent['id']}", "data": {"object": intent}},
    )


def test_an_intent_of_no_checkout_goes_to_the_resolver_its_metadata_names(db, monkeypatch):
    resolved = []
    monkeypatch.setitem(
        INTENT_RESOLVERS,
        "test_thing",
        lambda *, account, payment_intent: resolved.append((account, payment_intent)) or True,
    )
    monkeypatch.setattr(
        checkout_handlers.stripe_api,
        "payment_intent_retrieve",
        lambda **kwargs: {"id": kwargs["payment_intent_id"], "status": "succeeded"},
    )
    event = _event("acct_1", {"id": "pi_1", "metadata": {"test_thing": "42"}})

    checkout_handlers.on_payment_intent_succeeded(event)

    # The resolver gets the intent as re-fetched from Stripe, never the event's copy.
    assert resolved == [("acct_1", {"id": "pi_1", "status": "succeeded"})]


def test_an_intent_nobody_claims_is_ignored_without_asking_stripe(db, monkeypatch):
    def no_stripe(**kwargs):
        raise AssertionError("Stripe was called")

    monkeypatch.setattr(checkout_handlers.stripe_api, "payment_intent_retrieve", no_stripe)
    event = _event("acct_1", {"id": "pi_2", "metadata": {"something": "else"}})

    checkout_handlers.on_payment_intent_succeeded(event)
    checkout_handlers.on_payment_intent_failed(event)
    assert payables.intent_resolver_for(event.payload["data"]["object"]) is None
