"""The buyer's invoice page: found by its token only, the same content as the PDF, a Pay
button only when something can be paid, constant queries whatever the number of lines."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoices import services
from tests.support import line

pytestmark = pytest.mark.django_db


def page_of(client, invoice):
    return client.get(reverse("invoices_public:invoice", args=[invoice.public_token]))


def test_public_page_shows_the_invoice_with_the_portal_branding(client, make_invoice, portal):
    portal.accent_colour = "#0f766e"
    portal.save()
    invoice = make_invoice(finalize=True, memo="Wire to ACME BANK 123")
    response = page_of(client, invoice)
    page = response.content.decode()
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex"
    assert response["Referrer-Policy"] == "same-origin"
    for text in (invoice.display_number, "Acme Test Co.", "#0f766e", "Consulting", "$110.00"):
        assert text in page, text
    assert "Wire to ACME BANK 123" in page
    pay_url = reverse("invoices_public:pay", args=[invoice.public_token])
    assert f'action="{pay_url}"' in page and "Pay $110.00" in page


def test_paid_and_void_invoices_have_no_pay_button(client, make_invoice):
    paid = make_invoice(finalize=True)
    services.invoice_record_payment(
        invoice=paid, actor=None, method="cash", amount=paid.total, paid_on=paid.issue_date
    )
    page = page_of(client, paid).content.decode()
    assert "Thank you: this invoice is paid" in page and "pay-button" not in page
    void = services.invoice_void(invoice=make_invoice(finalize=True), actor=None)
    page = page_of(client, void).content.decode()
    assert "voided this invoice" in page and "pay-button" not in page


def test_partial_payments_let_the_buyer_choose_the_amount(client, make_invoice, portal):
    services.invoice_settings_update(portal=portal, prefix="INV-", allow_partial_payments=True)
    page = page_of(client, make_invoice(finalize=True)).content.decode()
    assert 'name="amount"' in page and 'value="110.00"' in page


@pytest.mark.parametrize("token", ["unknown", "x" * 65, "%20"])
def test_unknown_tokens_are_404(client, token):
    assert client.get(f"/invoice/{token}/").status_code == 404
    assert client.get(f"/invoice/{token}/pdf/").status_code == 404
    assert client.post(f"/invoice/{token}/pay/").status_code == 404


def test_a_draft_has_no_public_page_and_a_pdf_only_by_token(client, make_invoice):
    draft = make_invoice()
    assert draft.public_token is None
    invoice = make_invoice(finalize=True)
    response = client.get(reverse("invoices_public:pdf", args=[invoice.public_token]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_public_page_query_count_does_not_grow_with_lines(client, make_invoice):
    small = make_invoice(lines=[line(name=f"Item {i}") for i in range(2)], finalize=True)
    large = make_invoice(lines=[line(name=f"Item {i}") for i in range(20)], finalize=True)
    counts = []
    for invoice in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert page_of(client, invoice).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 4, counts
