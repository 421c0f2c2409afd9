"""payment.*, checkout.completed, payment_link.* and stripe_account.status_changed fire
exactly once per change, in the change's transaction, through the product's own paths
against fakestripe: the hosted checkout, refunds, disputes, the link editor's services and
Connect onboarding. Checkout completion writes its two events with one INSERT."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commerce.catalog.models import BillingFrequency
from commerce.events.catalogue import BY_NAME, SAMPLE_OBJECTS
from commerce.events.models import Event, WebhookEndpoint
from payments import checkout as checkout_service
from payments.checkout.payables import COMPLETION_HOOKS, register_completion_hook
from payments.connect import services as accounts
from payments.connect.status import AccountStatus
from payments.events import (
    checkout_snapshot,
    link_prefetch_lines,
    payment_link_snapshot,
    payment_snapshot,
    stripe_account_snapshot,
)
from payments.ledger import refunds
from payments.links.services import (
    LineSpec,
    payment_link_create,
    payment_link_set_active,
    payment_link_update,
)
from payments.models import Checkout, Payment, PaymentLink, PaymentLinkLine, StripeAccount
from tests.factories import (
    CheckoutFactory,
    ContactFactory,
    PaymentFactory,
    ProductFactory,
    StripeAccountFactory,
)
from tests.payments.support import (
    confirm,
    fakestripe_account,
    make_link,
    paid_payment,
    return_to_hub,
    start_checkout,
    start_onboarding,
)

from .support import spec_signature_valid

EVENTS_TABLE = Event._meta.db_table


def _event_statements(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if EVENTS_TABLE in q["sql"]]


def _only_one_insert(ctx: CaptureQueriesContext) -> None:
    statements = _event_statements(ctx)
    assert len(statements) == 1, statements
    assert statements[0].lstrip().upper().startswith("INSERT INTO")


def _events(type: str) -> list[Event]:
    return list(Event.objects.filter(type=type).order_by("id"))


def _one(type: str) -> Event:
    events = _events(type)
    assert len(events) == 1, [e.data for e in events]
    return events[0]


def _has_the_catalogue_shape(event: Event) -> None:
    """Keys of the type's sample, the object type it names and the event's object id."""
    sample = BY_NAME[event.type].sample_object
    assert set(event.data) == set(sample), set(event.data) ^ set(sample)
    assert event.data["object"] == event.object_type == BY_NAME[event.type].object_type
    assert event.data["id"] == event.object_id


def _one_time_link(portal, amount: int = 12_000, **fields) -> PaymentLink:
    product = ProductFactory(portal=portal, name="Audit", sku="AUD-1", unit_price=amount)
    return make_link(portal, lines=[LineSpec(product_id=product.pk, quantity=1)], **fields)


def _paid_checkout(stripe_hub, link: PaymentLink, **buyer) -> Checkout:
    """A buyer started paying `link` and Stripe.js confirmed the card; not completed yet."""
    checkout = start_checkout(Client(), link, **buyer)
    assert confirm(stripe_hub, checkout)["status"] == "succeeded"
    return checkout


def _complete(checkout: Checkout) -> Checkout:
    intent = checkout_service.fetch_intent(checkout)
    return checkout_service.checkout_complete(checkout_id=checkout.pk, payment_intent=intent)


# --- Snapshots ------------------------------------------------------------------------------


def test_snapshots_have_the_shape_of_their_samples_and_read_no_table(
    portal, django_assert_num_queries
):
    """Rows as a service holds them (a link with its lines loaded) snapshot without a
    query, so an event adds only its INSERT to the change's transaction."""
    PaymentFactory(portal=portal)
    CheckoutFactory(portal=portal)
    StripeAccountFactory(portal=portal)
    _one_time_link(portal)
    payment, checkout = Payment.objects.get(), Checkout.objects.get()
    account, link = StripeAccount.objects.get(), link_prefetch_lines(PaymentLink.objects.get())
    with django_assert_num_queries(0):
        snapshots = {
            "payment": payment_snapshot(payment),
            "checkout": checkout_snapshot(checkout),
            "payment_link": payment_link_snapshot(link),
            "stripe_account": stripe_account_snapshot(account),
        }
    for object_type, snapshot in snapshots.items():
        assert set(snapshot) == set(SAMPLE_OBJECTS[object_type]), object_type
        assert snapshot["object"] == object_type
    assert snapshots["payment_link"]["total"] == 12_000
    assert snapshots["stripe_account"]["id"] == account.stripe_id


# --- checkout.completed and payment.succeeded ---------------------------------------------


def test_completion_records_payment_succeeded_and_checkout_completed_in_one_insert(
    stripe_hub, ready_account, portal
):
    # A returning buyer whose details are unchanged (no contact event) pays a one-time link
    contact = ContactFactory(
        portal=portal, email="ada@example.org", first_name="Ada", last_name="Lovelace"
    )
    link = _one_time_link(portal)
    checkout = _paid_checkout(stripe_hub, link)
    intent = checkout_service.fetch_intent(checkout)
    Event.objects.all().delete()  # the account's and the link's

    with CaptureQueriesContext(connection) as ctx:
        checkout_service.checkout_complete(checkout_id=checkout.pk, payment_intent=intent)

    # Two events, one INSERT: the only statement on the event log in the whole completion
    _only_one_insert(ctx)
    assert list(Event.objects.order_by("id").values_list("type", flat=True)) == [
        "payment.succeeded",
        "checkout.completed",
    ]
    payment = Payment.objects.get()
    paid, completed = _one("payment.succeeded"), _one("checkout.completed")
    assert (paid.object_id, completed.object_id) == (str(payment.pk), str(checkout.pk))
    assert paid.portal_id == completed.portal_id == portal.pk
    for event in (paid, completed):
        _has_the_catalogue_shape(event)
    assert paid.data["status"] == "succeeded"
    assert (paid.data["amount"], paid.data["amount_refunded"], paid.data["currency"]) == (
        12_000,
        0,
        "usd",
    )
    assert (paid.data["fee"], paid.data["net"], paid.data["dispute"]) == (None, None, None)
    assert (paid.data["contact"], paid.data["checkout"]) == (str(contact.pk), str(checkout.pk))
    assert (paid.data["source"], paid.data["card_last4"]) == ("payment_link", "4242")
    assert paid.data["stripe_payment_intent"] == checkout.payment_intent_id
    assert paid.data["paid"] == payment.paid_at.isoformat()
    assert completed.data["status"] == "succeeded"
    assert completed.data["payment"] == str(payment.pk)
    assert (completed.data["source"], completed.data["source_id"]) == ("payment_link", str(link.pk))
    assert (completed.data["contact"], completed.data["email"]) == (str(contact.pk), contact.email)
    assert (completed.data["total"], completed.data["currency"]) == (12_000, "usd")
    assert completed.data["lines"] == [
        {
            "name": "Audit",
            "sku": "AUD-1",
            "quantity": 1,
            "unit_amount": 12_000,
            "billing_frequency": "one_time",
            "term_periods": None,
            "amount": 12_000,
        }
    ]
    assert completed.data["completed"] is not None

    # The webhook (or a reload) completing it again records nothing
    with CaptureQueriesContext(connection) as again:
        _complete(checkout)
    assert _event_statements(again) == []
    assert Event.objects.count() == 2


def test_a_new_buyers_completion_adds_one_insert_per_event_and_one_for_the_pair(
    stripe_hub, ready_account, portal
):
    # A new buyer (contact.created) pays a link with a one-time line and a monthly plan
    link = make_link(portal)
    checkout = _paid_checkout(stripe_hub, link)
    intent = checkout_service.fetch_intent(checkout)
    with CaptureQueriesContext(connection) as ctx:
        checkout_service.checkout_complete(checkout_id=checkout.pk, payment_intent=intent)

    statements = _event_statements(ctx)
    assert all(s.lstrip().upper().startswith("INSERT INTO") for s in statements), statements
    # Every other event of the completion is its own INSERT at most; the pair shares one.
    assert len(statements) <= Event.objects.count() - 1
    [pair] = [s for s in statements if "checkout.completed" in s]
    assert "payment.succeeded" in pair
    assert _one("contact.created").object_id == str(Payment.objects.get().contact_id)
    assert _one("checkout.completed").data["lines"][1]["billing_frequency"] == "monthly"
    _one("payment.succeeded")


@pytest.mark.parametrize("webhook_first", [True, False])
def test_return_page_and_webhook_in_either_order_record_each_event_once(
    hub_webhooks, stripe_hub, ready_account, portal, transactional_db, webhook_first
):
    buyer = Client()
    link = _one_time_link(portal)
    checkout = start_checkout(buyer, link)
    confirm(stripe_hub, checkout)
    if webhook_first:
        stripe_hub.flush_webhooks()
        return_to_hub(buyer, link, checkout)
    else:
        return_to_hub(buyer, link, checkout)
        stripe_hub.flush_webhooks()
    return_to_hub(buyer, link, checkout)  # a reload
    _one("checkout.completed")
    assert _one("payment.succeeded").object_id == str(Payment.objects.get().pk)


def test_a_completion_that_fails_leaves_no_event(stripe_hub, ready_account, portal):
    def broken(**kwargs):
        raise RuntimeError("hook failed")

    register_completion_hook(broken)
    try:
        checkout = _paid_checkout(stripe_hub, make_link(portal))
        Event.objects.all().delete()  # the account's and the link's
        with pytest.raises(RuntimeError, match="hook failed"):
            _complete(checkout)
    finally:
        COMPLETION_HOOKS.remove(broken)
    assert not Payment.objects.exists()
    assert not Event.objects.exists()


# --- payment.failed ------------------------------------------------------------------------


def test_payment_failed_fires_once_per_failed_attempt(stripe_hub, ready_account, portal):
    buyer = Client()
    link = _one_time_link(portal)
    checkout = start_checkout(buyer, link)

    # The card is declined; the return page and the webhook both bring the failure
    assert "error" in confirm(stripe_hub, checkout, "pm_card_chargeDeclinedInsufficientFunds")
    with CaptureQueriesContext(connection) as ctx:
        return_to_hub(buyer, link, checkout)
    _only_one_insert(ctx)
    intent = checkout_service.fetch_intent(checkout)
    checkout_service.checkout_record_failure(checkout_id=checkout.pk, payment_intent=intent)

    failed = _one("payment.failed")
    _has_the_catalogue_shape(failed)
    assert failed.object_id == checkout.payment_intent_id
    assert failed.data["status"] == "failed"
    assert failed.data["checkout"] == str(checkout.pk)
    assert (failed.data["amount"], failed.data["currency"]) == (12_000, "usd")
    assert failed.data["failure_code"] == "insufficient_funds"
    assert failed.data["failure_message"] == (
        "Your card has insufficient funds. Please use another card, or contact your bank."
    )
    assert failed.data["card_last4"] == "9995"
    assert not Payment.objects.exists()

    # Another card, declined too: a second failed attempt, a second event
    confirm(stripe_hub, checkout, "pm_card_chargeDeclined")
    return_to_hub(buyer, link, checkout)
    assert len(_events("payment.failed")) == 2
    # Then a card that works: the payment succeeds, the checkout completes
    confirm(stripe_hub, checkout)
    return_to_hub(buyer, link, checkout)
    assert _one("payment.succeeded").data["stripe_payment_intent"] == checkout.payment_intent_id
    _one("checkout.completed")
    assert len(_events("payment.failed")) == 2


def test_payment_failed_by_webhook_then_return_page_is_one_event(
    hub_webhooks, stripe_hub, ready_account, portal, transactional_db
):
    buyer = Client()
    link = _one_time_link(portal)
    checkout = start_checkout(buyer, link)
    confirm(stripe_hub, checkout, "pm_card_chargeDeclinedInsufficientFunds")
    stripe_hub.flush_webhooks()
    return_to_hub(buyer, link, checkout)
    assert _one("payment.failed").data["failure_code"] == "insufficient_funds"


# --- payment.refunded and payment.disputed ---------------------------------------------------


@pytest.fixture
def paid(stripe_hub, portal):
    """A $50.00 payment really charged in fakestripe."""
    return paid_payment(stripe_hub, fakestripe_account(stripe_hub, portal), amount=5_000)


def _refund(client, payment, amount: str):
    response = client.post(
        reverse("payments:refund", args=[payment.pk]),
        {"amount": amount, "reason": "requested_by_customer", "attempt": str(uuid.uuid4())},
    )
    assert response.status_code == 302, response.content.decode()[:500]


def test_payment_refunded_fires_once_per_refund_whoever_reports_it(
    stripe_hub, billing_client, paid
):
    # A partial refund from the hub, then Stripe's webhooks about it (twice)
    with CaptureQueriesContext(connection) as ctx:
        _refund(billing_client, paid, "20.00")
    _only_one_insert(ctx)
    for _ in range(2):
        refunds.payment_sync_refunds(payment=paid)
    refunded = _one("payment.refunded")
    _has_the_catalogue_shape(refunded)
    assert refunded.object_id == str(paid.pk)
    assert refunded.data["status"] == "partially_refunded"
    assert (refunded.data["amount"], refunded.data["amount_refunded"]) == (5_000, 2_000)

    # The rest, made in Stripe's dashboard, arrives by webhook: a second event
    stripe_hub.client(paid.stripe_account_id).v1.refunds.create(
        {"charge": paid.charge_id, "amount": 3_000}, {"idempotency_key": "dashboard-refund"}
    )
    refunds.payment_sync_refunds(payment=paid)
    refunds.payment_sync_refunds(payment=paid)
    events = _events("payment.refunded")
    assert [(e.data["status"], e.data["amount_refunded"]) for e in events] == [
        ("partially_refunded", 2_000),
        ("refunded", 5_000),
    ]


def test_a_refund_stripe_refuses_records_nothing(stripe_hub, billing_client, paid):
    # Stripe knows of a refund the hub doesn't yet: it refuses the hub's, nothing counts
    stripe_hub.client(paid.stripe_account_id).v1.refunds.create(
        {"charge": paid.charge_id, "amount": 5_000}, {"idempotency_key": "dashboard-full"}
    )
    response = billing_client.post(
        reverse("payments:refund", args=[paid.pk]),
        {"amount": "10.00", "reason": "requested_by_customer", "attempt": str(uuid.uuid4())},
    )
    assert response.status_code == 400
    assert not _events("payment.refunded")


def test_payment_disputed_fires_once_per_dispute(stripe_hub, paid):
    dispute = stripe_hub.dispute(paid.charge_id)
    with CaptureQueriesContext(connection) as ctx:
        refunds.payment_apply_dispute(payment=paid, dispute=dispute)
    _only_one_insert(ctx)
    # charge.dispute.updated and a duplicate delivery: the same dispute, no new event
    refunds.payment_apply_dispute(payment=paid, dispute=dispute)
    refunds.payment_apply_dispute(payment=paid, dispute={**dispute, "status": "under_review"})
    disputed = _one("payment.disputed")
    _has_the_catalogue_shape(disputed)
    assert disputed.object_id == str(paid.pk)
    assert disputed.data["status"] == "disputed"
    assert disputed.data["dispute"]["id"] == dispute["id"]
    assert disputed.data["dispute"]["reason"] == "fraudulent"
    assert disputed.data["dispute"]["amount"] == 5_000


def test_dispute_webhook_records_payment_disputed(
    hub_webhooks, stripe_hub, portal, transactional_db
):
    payment = paid_payment(stripe_hub, fakestripe_account(stripe_hub, portal), amount=7_500)
    stripe_hub.dispute(payment.charge_id)
    stripe_hub.flush_webhooks()
    assert _one("payment.disputed").object_id == str(payment.pk)


# --- payment_link.* ------------------------------------------------------------------------


def test_payment_link_created_updated_deactivated_fire_once_each(portal, sales_rep):
    setup = ProductFactory(portal=portal, name="Onboarding", sku="ONB", unit_price=20_000)
    plan = ProductFactory(
        portal=portal,
        name="Growth plan",
        sku="GROW",
        unit_price=5_000,
        billing_frequency=BillingFrequency.MONTHLY,
        term_periods=12,
    )
    specs = [LineSpec(product_id=setup.pk, quantity=1), LineSpec(product_id=plan.pk, quantity=2)]
    with CaptureQueriesContext(connection) as ctx:
        link = payment_link_create(portal=portal, user=sales_rep, lines=specs, name="Spring")
    _only_one_insert(ctx)
    created = _one("payment_link.created")
    _has_the_catalogue_shape(created)
    assert created.data["name"] == "Spring"
    assert (created.data["active"], created.data["status"]) == (True, "active")
    assert created.data["url"].endswith(f"/pay/{link.slug}/")
    assert (created.data["total"], created.data["currency"]) == (30_000, "usd")
    assert [(x["sku"], x["quantity"], x["amount"]) for x in created.data["lines"]] == [
        ("ONB", 1, 20_000),
        ("GROW", 2, 10_000),
    ]

    # Saved unchanged (the editor's Save with nothing edited): nothing to hear about
    kept = [LineSpec(line_id=line.pk, quantity=line.quantity) for line in link.lines.all()]
    payment_link_update(link=link, lines=kept, name="Spring")
    assert not _events("payment_link.updated")
    # A new price on a line
    first, second = PaymentLinkLine.objects.filter(link=link)
    with CaptureQueriesContext(connection) as ctx:
        payment_link_update(
            link=link,
            lines=[
                LineSpec(line_id=first.pk, quantity=1, unit_amount=18_000),
                LineSpec(line_id=second.pk, quantity=2),
            ],
            name="Spring",
        )
    _only_one_insert(ctx)
    updated = _one("payment_link.updated")
    assert (updated.data["total"], updated.data["lines"][0]["unit_amount"]) == (28_000, 18_000)

    with CaptureQueriesContext(connection) as ctx:
        payment_link_set_active(link=link, active=False)
    _only_one_insert(ctx)
    payment_link_set_active(link=link, active=False)  # already inactive
    deactivated = _one("payment_link.deactivated")
    _has_the_catalogue_shape(deactivated)
    assert (deactivated.data["active"], deactivated.data["status"]) == (False, "inactive")
    assert len(deactivated.data["lines"]) == 2

    # Reactivated: an update
    payment_link_set_active(link=link, active=True)
    payment_link_set_active(link=link, active=True)
    assert [e.data["active"] for e in _events("payment_link.updated")] == [True, True]
    assert len(_events("payment_link.updated")) == 2


def test_a_refused_link_edit_records_nothing(portal):
    link = _one_time_link(portal)
    Event.objects.all().delete()
    with pytest.raises(Exception, match="at least"):
        payment_link_update(link=link, lines=[], name="Empty")
    assert not Event.objects.exists()


@pytest.mark.parametrize("limit", [{"single_use": True}, {"max_payments": 2}])
def test_a_limited_link_paid_for_the_last_time_is_deactivated_once(
    stripe_hub, ready_account, portal, limit
):
    link = _one_time_link(portal, **limit)
    uses = link.payment_limit
    for n in range(uses):
        _complete(_paid_checkout(stripe_hub, link, email=f"buyer{n}@example.org"))
        assert len(_events("payment_link.deactivated")) == (1 if n == uses - 1 else 0)
    deactivated = _one("payment_link.deactivated")
    _has_the_catalogue_shape(deactivated)
    # Still switched on by the seller, but used up: buyers are refused
    assert (deactivated.data["active"], deactivated.data["status"]) == (True, "used_up")
    assert len(_events("checkout.completed")) == uses


# --- stripe_account.status_changed --------------------------------------------------------


def test_stripe_account_status_changes_fire_once_each(stripe_hub, portal, super_admin):
    # Get started: the portal's account exists, onboarding incomplete
    with CaptureQueriesContext(connection) as ctx:
        start_onboarding(portal, super_admin)
    _only_one_insert(ctx)
    start_onboarding(portal, super_admin)  # a second click: the same account, no change
    account = StripeAccount.objects.get(portal=portal)
    connected = _one("stripe_account.status_changed")
    _has_the_catalogue_shape(connected)
    assert connected.object_id == account.stripe_id
    assert (connected.data["previous_status"], connected.data["status"]) == (
        "not_connected",
        "onboarding_incomplete",
    )

    # Stripe verifies it: Ready to transact (refreshed twice, as webhook and return page do)
    stripe_hub.verify_account(account.stripe_id)
    account = accounts.account_refresh(account=account)
    accounts.account_refresh(account=account)
    assert account.status == AccountStatus.READY

    # Disconnected by the admin, then deauthorized in Stripe (already disconnected)
    accounts.account_disconnect(portal=portal, user=super_admin)
    accounts.account_mark_disconnected_by_stripe(
        stripe_id=account.stripe_id, reason="Deauthorized in Stripe"
    )
    changes = [
        (e.data["previous_status"], e.data["status"], e.data["charges_enabled"])
        for e in _events("stripe_account.status_changed")
    ]
    assert changes == [
        ("not_connected", "onboarding_incomplete", False),
        ("onboarding_incomplete", "ready", True),
        ("ready", "disconnected", True),
    ]


def test_account_updated_webhook_records_the_status_change(
    hub_webhooks, stripe_hub, portal, super_admin, transactional_db
):
    start_onboarding(portal, super_admin)
    account = StripeAccount.objects.get(portal=portal)
    stripe_hub.verify_account(account.stripe_id)
    stripe_hub.flush_webhooks()
    ready = [e for e in _events("stripe_account.status_changed") if e.data["status"] == "ready"]
    assert len(ready) == 1 and ready[0].object_id == account.stripe_id


# --- Rolled back changes ---------------------------------------------------------------------


def test_rolled_back_changes_leave_no_event(stripe_hub, ready_account, portal, super_admin):
    link = _one_time_link(portal)
    payment = Payment.objects.get(checkout=_complete(_paid_checkout(stripe_hub, link)))
    dispute = stripe_hub.dispute(payment.charge_id)
    checkout = _paid_checkout(stripe_hub, link, email="second@example.org")
    Event.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        _complete(checkout)
        payment_link_create(
            portal=portal,
            user=None,
            lines=[LineSpec(product_id=link.lines.get().product_id, quantity=1)],
        )
        payment_link_set_active(link=link, active=False)
        refunds.payment_apply_dispute(payment=payment, dispute=dispute)
        accounts.account_disconnect(portal=portal, user=super_admin)
        assert Event.objects.count() >= 6
        raise RuntimeError("the caller's change fails afterwards")
    assert not Event.objects.exists()
    assert Checkout.objects.get(pk=checkout.pk).status == Checkout.Status.OPEN


# --- Delivered to a super admin's endpoint -----------------------------------------------------


def test_a_buyer_pays_a_link_and_the_super_admins_endpoint_receives_it_signed(
    stripe_hub, ready_account, portal, admin_client_, receiver, django_capture_on_commit_callbacks
):
    # The super admin points an endpoint at a local receiver (Settings → Webhooks)
    response = admin_client_.post(
        reverse("webhooks:create"),
        {
            "url": receiver.url(),
            "description": "Accounting",
            "event_types": ["checkout.completed", "payment.succeeded"],
        },
    )
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get(portal=portal)

    # A buyer pays a payment link on the hosted checkout and comes back to the hub
    buyer = Client()
    link = make_link(portal)
    checkout = start_checkout(buyer, link)
    confirm(stripe_hub, checkout)
    with django_capture_on_commit_callbacks(execute=True):
        assert return_to_hub(buyer, link, checkout).status_code in (200, 302, 303)

    # Both events arrive, signed per Standard Webhooks, nothing else
    received = receiver.at()
    assert sorted(r.json["type"] for r in received) == ["checkout.completed", "payment.succeeded"]
    for r in received:
        assert spec_signature_valid(endpoint.secret, r.headers, r.body), r.headers
        assert r.json["portal"] == str(portal.public_id)
        assert r.json["id"] == Event.objects.get(type=r.json["type"]).public_id
    by_type = {r.json["type"]: r.json["data"]["object"] for r in received}
    payment = Payment.objects.get()
    assert by_type["payment.succeeded"]["id"] == str(payment.pk)
    assert by_type["checkout.completed"]["payment"] == str(payment.pk)
    assert by_type["checkout.completed"]["total"] == 25_000
