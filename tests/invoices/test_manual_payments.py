"""Manual payments on the invoice page: nothing is pre-filled to save by accident, a
refused payment comes back as typed with its error, deleting one is confirmed (without
JavaScript too), and written-off or void invoices take none."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from invoices import services
from invoices.models import InvoicePayment, InvoiceStatus

pytestmark = pytest.mark.django_db


def page_of(response) -> str:
    return html.unescape(response.content.decode())


def record(client, invoice, **fields):
    data = {
        "method": "cheque",
        "amount": "",
        "paid_on": invoice.issue_date.isoformat(),
        "reference": "",
        **fields,
    }
    return client.post(reverse("invoices:payment_record", args=[invoice.pk]), data)


def input_value(page: str, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert tag, name
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else None


def test_the_form_does_not_offer_the_amount_due_to_save_in_one_click(billing_client, make_invoice):
    invoice = make_invoice(finalize=True)  # $110.00 due
    page = page_of(billing_client.get(reverse("invoices:detail", args=[invoice.pk])))
    assert "Record a payment received" in page
    assert input_value(page, "amount") is None
    assert input_value(page, "paid_on") == services.portal_today(invoice.portal).isoformat()
    # an untouched form records nothing
    response = record(billing_client, invoice)
    assert response.status_code == 400
    assert not InvoicePayment.objects.exists()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("110.01", "$110.01 is more than the amount due ($110.00)."),
        ("ten", "is not an amount"),
    ],
)
def test_a_refused_payment_comes_back_as_typed_with_its_error(
    billing_client, make_invoice, amount, message
):
    invoice = make_invoice(finalize=True)
    response = record(billing_client, invoice, amount=amount, reference="CHQ 20931")
    assert response.status_code == 400
    page = page_of(response)
    assert message in page and "The payment was not recorded." in page
    assert input_value(page, "amount") == amount
    assert input_value(page, "reference") == "CHQ 20931"
    assert re.search(r'<option value="cheque"[^>]*selected', page)
    assert re.search(r'<details class="form-section"[^>]*open', page)
    assert not InvoicePayment.objects.exists()
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0 and invoice.status == InvoiceStatus.OPEN


def test_deleting_a_payment_asks_first_and_works_without_javascript(billing_client, make_invoice):
    invoice = make_invoice(finalize=True)
    payment = services.invoice_record_payment(
        invoice=invoice,
        actor=None,
        method="cheque",
        amount=4_000,
        paid_on=invoice.issue_date,
        reference="CHQ 1",
    )
    url = reverse("invoices:payment_delete", args=[invoice.pk, payment.pk])
    detail = page_of(billing_client.get(reverse("invoices:detail", args=[invoice.pk])))
    # The page's Delete is a link to the confirmation (a dialog with JavaScript)
    assert re.search(
        rf'<a [^>]*href="{url}"[^>]*data-open-dialog="delete-payment-{payment.pk}-dialog"', detail
    )
    assert f'<dialog id="delete-payment-{payment.pk}-dialog"' in detail
    # Following it (no JavaScript) shows the confirmation and deletes nothing
    confirmation = billing_client.get(url)
    assert confirmation.status_code == 200
    text = page_of(confirmation)
    assert "Delete the $40.00 cheque payment?" in text and "will owe $110.00 again" in text
    assert 'name="confirm" value="delete"' in text
    # A bare POST (a stale one-click form) only shows the confirmation too
    assert billing_client.post(url).status_code == 200
    assert InvoicePayment.objects.filter(pk=payment.pk).exists()
    # Confirming deletes it
    response = billing_client.post(url, {"confirm": "delete"})
    assert response.status_code == 302
    assert not InvoicePayment.objects.filter(pk=payment.pk).exists()
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0 and invoice.status == InvoiceStatus.OPEN


def test_a_sales_rep_cannot_see_the_confirmation(rep_client, make_invoice):
    invoice = make_invoice(finalize=True)
    payment = services.invoice_record_payment(
        invoice=invoice, actor=None, method="cash", amount=100, paid_on=invoice.issue_date
    )
    url = reverse("invoices:payment_delete", args=[invoice.pk, payment.pk])
    assert rep_client.get(url).status_code == 403
    assert rep_client.post(url, {"confirm": "delete"}).status_code == 403
    assert InvoicePayment.objects.filter(pk=payment.pk).exists()


@pytest.mark.parametrize("state", ["uncollectible", "void", "draft"])
def test_written_off_void_and_draft_invoices_offer_no_form_and_refuse_a_payment(
    billing_client, make_invoice, state
):
    invoice = make_invoice(finalize=state != "draft")
    if state == "draft":
        message = "Finalize the invoice before recording a payment."
    elif state == "uncollectible":
        services.invoice_mark_uncollectible(invoice=invoice, actor=None)
        message = "marked uncollectible, so it takes no more payments"
    else:
        services.invoice_void(invoice=invoice, actor=None)
        message = f"{invoice.display_number} is void: it cannot be paid."
    page = page_of(billing_client.get(reverse("invoices:detail", args=[invoice.pk])))
    assert "Record a payment received" not in page
    response = record(billing_client, invoice, amount="10.00")
    assert response.status_code == 400
    assert message in page_of(response)
    assert not InvoicePayment.objects.exists()
