"""Paying an invoice on its public page through the hosted checkout, against fakestripe."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from invoices import services
from invoices.models import InvoiceSettings, InvoiceStatus
from payments import checkout as checkout_service
from payments.models import Checkout, Payment
from tests.payments.support import confirm, intents_on, text
from tests.support import line


def pay(client: Client, invoice, **data):
    return client.post(reverse("invoices_public:pay", args=[invoice.public_token]), data)


def checkout_from(response) -> Checkout:
    assert response.status_code == 303, text(response)[:2000]
    public_id = response["Location"].split("/pay/checkout/")[1].strip("/")
    return Checkout.objects.get(public_id=public_id)


def return_to_hub(client: Client, checkout: Checkout):
    return client.get(reverse("public:document_checkout_return", args=[checkout.public_id]))


@pytest.fixture
def open_invoice(make_invoice):
    """Two $400 workshops less 5 % with 10 % tax = $836.00, finalized."""
    return make_invoice(
        finalize=True,
        lines=[
            line(
                "Workshop",
                quantity=2,
                unit_amount=40_000,
                discount_percent=Decimal("5"),
                tax_rate=Decimal("10"),
            )
        ],
    )


def allow_partial(portal):
    settings = services.invoice_settings_for(portal=portal)
    InvoiceSettings.objects.filter(pk=settings.pk).update(allow_partial_payments=True)


def test_buyer_pays_the_invoice_by_card_and_it_is_paid(
    stripe_hub, ready_account, portal, open_invoice, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = open_invoice
    assert invoice.total == 83_600
    buyer = Client()
    page = text(buyer.get(reverse("invoices_public:invoice", args=[invoice.public_token])))
    assert "Pay $836.00" in page

    checkout = checkout_from(pay(buyer, invoice))
    card_page = text(buyer.get(reverse("public:document_checkout", args=[checkout.public_id])))
    assert f"Invoice {invoice.display_number}" in card_page and "Workshop" in card_page
    assert checkout.client_secret in card_page
    intent = confirm(stripe_hub, checkout)
    assert (intent["amount"], intent["metadata"]["invoice"]) == (83_600, str(invoice.pk))
    assert intent["setup_future_usage"] is None  # nothing recurring: no saved card
    with django_capture_on_commit_callbacks(execute=True):
        response = return_to_hub(buyer, checkout)
    assert "/pay/receipt/" in response["Location"]

    invoice.refresh_from_db()
    payment = Payment.objects.get(portal=portal)
    assert (invoice.status, invoice.amount_paid, invoice.amount_due) == (
        InvoiceStatus.PAID,
        83_600,
        0,
    )
    assert (payment.source, payment.amount, payment.contact) == ("invoice", 83_600, invoice.contact)
    recorded = invoice.payments.get()
    assert (recorded.method, recorded.amount, recorded.payment) == ("card", 83_600, payment)
    page = text(buyer.get(reverse("invoices_public:invoice", args=[invoice.public_token])))
    assert "Thank you: this invoice is paid" in page
    assert any(m.subject.startswith("Your receipt from Acme Test Co.: $836.00") for m in mailoutbox)
    # Paying again is refused before any intent exists
    again = pay(buyer, invoice)
    assert again.status_code == 400 and "already paid" in text(again)
    assert len(intents_on(stripe_hub, ready_account.stripe_id)) == 1


def test_a_part_payment_leaves_the_rest_due_and_the_next_pays_the_balance(
    stripe_hub, ready_account, portal, open_invoice
):
    allow_partial(portal)
    buyer = Client()
    first = checkout_from(pay(buyer, open_invoice, amount="300.00"))
    assert first.amount == 30_000
    assert first.order["lines"][0]["name"] == f"Payment toward {open_invoice.display_number}"
    confirm(stripe_hub, first)
    return_to_hub(buyer, first)
    open_invoice.refresh_from_db()
    assert (open_invoice.status, open_invoice.amount_due) == (InvoiceStatus.PARTIALLY_PAID, 53_600)

    second = checkout_from(pay(buyer, open_invoice, amount="536"))
    assert second.pk != first.pk and second.amount == 53_600
    confirm(stripe_hub, second)
    return_to_hub(buyer, second)
    open_invoice.refresh_from_db()
    assert open_invoice.status == InvoiceStatus.PAID
    assert sorted(p.amount for p in Payment.objects.all()) == [30_000, 53_600]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("900", "You can pay at most $836.00, the amount due."),
        ("0", "The amount must be more than zero."),
        ("-5", "The amount cannot be negative."),
        ("12.345", "Use at most 2 decimal places."),
        ("lots", "is not an amount"),
    ],
)
def test_bad_part_amounts_are_refused_and_nothing_starts(
    stripe_hub, ready_account, portal, open_invoice, amount, message
):
    allow_partial(portal)
    response = pay(Client(), open_invoice, amount=amount)
    assert response.status_code == 400
    assert message in text(response)
    assert not Checkout.objects.exists()


def test_without_partial_payments_the_amount_typed_is_ignored(
    stripe_hub, ready_account, open_invoice
):
    checkout = checkout_from(pay(Client(), open_invoice, amount="1.00"))
    assert checkout.amount == 83_600


@pytest.mark.parametrize("state", ["draft", "void", "uncollectible"])
def test_invoices_that_cannot_be_paid_take_no_money(
    stripe_hub, ready_account, make_invoice, open_invoice, state
):
    invoice = open_invoice
    if state == "draft":
        invoice = make_invoice()  # a draft has no token: its page does not exist
        assert invoice.public_token is None
        return
    if state == "void":
        services.invoice_void(invoice=invoice, actor=None)
    else:
        services.invoice_mark_uncollectible(invoice=invoice, actor=None)
    response = pay(Client(), invoice)
    assert response.status_code in (400, 404)
    assert not Checkout.objects.exists()
    assert intents_on(stripe_hub, ready_account.stripe_id) == []


def test_completion_twice_records_the_invoice_payment_once(stripe_hub, ready_account, open_invoice):
    checkout = checkout_from(pay(Client(), open_invoice))
    confirm(stripe_hub, checkout)
    intent = checkout_service.fetch_intent(checkout)
    for _ in range(2):
        checkout_service.checkout_complete(checkout_id=checkout.pk, payment_intent=intent)
    open_invoice.refresh_from_db()
    assert open_invoice.payments.count() == 1 and open_invoice.amount_paid == 83_600


def test_an_invoice_voided_while_the_buyer_pays_keeps_the_payment_on_record(
    stripe_hub, ready_account, portal, open_invoice
):
    buyer = Client()
    checkout = checkout_from(pay(buyer, open_invoice))
    services.invoice_void(invoice=open_invoice, actor=None)
    confirm(stripe_hub, checkout)
    return_to_hub(buyer, checkout)
    # The money moved: the hub keeps the Payment for the seller to refund.
    assert Payment.objects.get(portal=portal).amount == 83_600
    open_invoice.refresh_from_db()
    assert open_invoice.status == InvoiceStatus.VOID and open_invoice.amount_paid == 0


def test_a_portal_not_ready_to_transact_shows_the_polite_page(stripe_hub, open_invoice):
    response = pay(Client(), open_invoice)
    assert response.status_code == 503
    assert "not accepting payments" in text(response)
    assert not Checkout.objects.exists()
