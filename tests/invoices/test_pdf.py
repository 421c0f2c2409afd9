"""The invoice PDF (WeasyPrint) carries the page's content, read back from the PDF."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from invoices import emails, services
from invoices.pdf import render_invoice_pdf
from tests.support import line

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_has_the_number_lines_totals_payments_and_memo(make_invoice):
    invoice = make_invoice(
        lines=[
            line(
                name="Implementation",
                quantity=2,
                unit_amount=125_000,
                discount_percent=Decimal(10),
                tax_rate=Decimal("8.25"),
            ),
            line(name="Travel", unit_amount=20_000),
        ],
        memo="Pay by wire to ACME BANK.",
        finalize=True,
    )
    services.invoice_record_payment(
        invoice=invoice, actor=None, method="cheque", amount=50_000, paid_on=invoice.issue_date
    )
    invoice.refresh_from_db()
    # 2,500 - 10 % = 2,250, tax 8.25 % = 185.63; + 200 = 2,635.63; paid 500
    text = pdf_text(render_invoice_pdf(invoice))
    for expected in (
        "Invoice INV-0001",
        "Acme Test Co.",
        "Bea Buyer",
        "Implementation",
        "10% off",
        "Travel",
        "$2,700.00",  # subtotal
        "\u2212$250.00",  # discounts
        "$185.63",  # tax
        "$2,635.63",  # total
        "\u2212$500.00",  # paid
        "$2,135.63",  # due
        "Net 30",
        "Pay by wire to ACME BANK.",
        "PARTIALLY PAID",  # the status in the letterhead
        "INV-0001 · Acme Test Co.",  # the page footer
        emails.public_url(invoice),
    ):
        assert expected in text, expected
