"""The card limit ($999,999.99, what a card can pay at once) holds on invoices as on every
document: the editor refuses a larger total with a clear message, unless the seller
issues it above the card limit on purpose; such an invoice is paid by hand, and its
page never offers a card payment. A total no column should hold is a form error too."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from invoices import services
from invoices.kind import InvoiceError
from invoices.models import Invoice
from invoices.pdf import render_invoice_pdf
from payments.models import Checkout
from tests.figures import pdf_text
from tests.payments.support import intents_on, text
from tests.support import line

pytestmark = pytest.mark.django_db

# The issue's invoice: 9,999 x $999,999.99 = $9,998,999,900.01.
HUGE = {"name": "Turbines", "quantity": "9999", "unit_amount": "999999.99"}


def editor_data(contact, *lines, **overrides):
    data = {
        "contact": str(contact.pk),
        "issue_date": "2026-04-01",
        "payment_terms": "net_30",
        "due_date": "",
        "memo": "Pay by wire to ACME Bank, account 0001.",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, fields in enumerate(lines):
        row = {"quantity": "1", "discount_type": "percent", "ORDER": str(index + 1), **fields}
        data.update({f"lines-{index}-{k}": v for k, v in row.items()})
    data.update(overrides)
    return data


def test_the_editor_refuses_a_total_above_the_card_limit_and_offers_the_choice(rep_client, contact):
    response = rep_client.post(reverse("invoices:create"), editor_data(contact, HUGE))

    assert response.status_code == 400
    page = text(response)
    assert "The total is $9,998,999,900.01: a card can pay at most $999,999.99 at once." in page
    assert "Issue above the card limit" in page  # the choice appears with the refusal
    assert not Invoice.objects.exists()


def test_the_seller_may_issue_it_above_the_card_limit_for_payment_by_hand(rep_client, contact):
    data = editor_data(contact, HUGE, above_card_limit="on")

    response = rep_client.post(reverse("invoices:create"), data)

    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert invoice.total == 999_899_990_001
    edit = text(rep_client.get(reverse("invoices:edit", args=[invoice.pk])))
    assert "Issue above the card limit" in edit  # ticked when the draft is edited again


def test_an_invoice_at_the_card_limit_needs_no_choice(rep_client, contact):
    data = editor_data(contact, {"name": "Turbine", "unit_amount": "999999.99"})

    response = rep_client.post(reverse("invoices:create"), data)

    assert response.status_code == 302
    invoice = Invoice.objects.get()
    edit = text(rep_client.get(reverse("invoices:edit", args=[invoice.pk])))
    assert "Issue above the card limit" not in edit


def test_an_invoice_above_the_card_limit_is_never_offered_a_card_payment(
    stripe_hub, ready_account, make_invoice
):
    invoice = make_invoice(
        lines=[line("Turbines", quantity=9_999, unit_amount=99_999_999)],
        above_card_limit=True,
        memo="Pay by wire to ACME Bank, account 0001.",
    )
    invoice = services.invoice_finalize(invoice=invoice, actor=None)
    buyer = Client()

    page = buyer.get(reverse("invoices_public:invoice", args=[invoice.public_token]))

    body = text(page)
    assert page.status_code == 200
    assert 'data-testid="pay-button"' not in page.content.decode()
    assert "$9,998,999,900.01" in body
    assert "please pay " + invoice.display_number + " by bank transfer or cheque" in body
    # Pressing an old Pay button answers in words, and asks Stripe for nothing.
    response = buyer.post(reverse("invoices_public:pay", args=[invoice.public_token]))
    assert response.status_code == 400
    assert "A card can pay at most $999,999.99 at once" in text(response)
    assert not Checkout.objects.exists()
    assert intents_on(stripe_hub, ready_account.stripe_id) == []
    assert "Pay online" not in pdf_text(render_invoice_pdf(invoice))


def test_the_service_refuses_a_total_above_the_card_limit_unless_chosen(make_invoice):
    huge = [line("Turbines", quantity=2, unit_amount=60_000_000)]  # $1,200,000.00
    with pytest.raises(InvoiceError, match="a card can pay at most"):
        make_invoice(lines=huge)
    assert make_invoice(lines=huge, above_card_limit=True).total == 120_000_000


def test_a_total_no_column_should_hold_is_a_clear_form_error(rep_client, contact):
    most = {"name": "Turbines", "quantity": "100000", "unit_amount": "999999.99"}
    data = editor_data(contact, most, {**most, "ORDER": "2"}, above_card_limit="on")

    response = rep_client.post(reverse("invoices:create"), data)

    assert response.status_code == 400
    assert "an invoice can come to at most $99,999,999,999.99" in text(response)
    assert not Invoice.objects.exists()


def test_a_quantity_or_price_beyond_the_columns_is_refused_by_the_service(make_invoice):
    with pytest.raises(InvoiceError, match="the quantity can be at most 100,000"):
        make_invoice(lines=[line(quantity=10**12)], above_card_limit=True)
    with pytest.raises(InvoiceError, match="the unit price cannot be more than"):
        make_invoice(lines=[line(unit_amount=10**15)], above_card_limit=True)
