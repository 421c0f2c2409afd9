"""One presentation of lines and totals: a taxed, discounted invoice shows the same line
amounts and the same subtotal, discounts, tax and total on its page, in its PDF, on the
checkout's order summary, on the receipt page and in the receipt e-mail."""

from __future__ import annotations

from decimal import Decimal

from django.test import Client
from django.urls import reverse

from invoices.pdf import render_invoice_pdf
from payments.models import Checkout
from tests.figures import (
    document_figures,
    in_pdf,
    pdf_text,
    receipt_mail_figures,
    summary_figures,
)
from tests.payments.support import confirm
from tests.support import line


def test_a_taxed_discounted_invoice_shows_the_same_figures_everywhere(
    stripe_hub, ready_account, make_invoice, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = make_invoice(
        finalize=True,
        lines=[
            line("Implementation", unit_amount=150_000, tax_rate=Decimal("8.25")),
            line(
                "Workshop",
                quantity=2,
                unit_amount=40_000,
                discount_amount=4_000,
                tax_rate=Decimal("10"),
            ),
        ],
    )
    buyer = Client()

    page = buyer.get(reverse("invoices_public:invoice", args=[invoice.public_token]))
    on_page = document_figures(page.content.decode())
    assert on_page.line_amounts == ["$1,500.00", "$800.00"]
    assert on_page.rows == [
        ("Subtotal", "$2,300.00"),
        ("Discounts", "-$40.00"),
        ("Tax", "$199.75"),  # 8.25 % of 1,500.00 + 10 % of 760.00
        ("Total", "$2,459.75"),
    ]
    assert in_pdf(on_page, pdf_text(render_invoice_pdf(invoice))) == []

    response = buyer.post(reverse("invoices_public:pay", args=[invoice.public_token]))
    checkout = Checkout.objects.get(public_id=response["Location"].split("/")[-2])
    card_step = buyer.get(response["Location"]).content.decode()
    assert summary_figures(card_step).same_as(on_page), summary_figures(card_step)

    assert confirm(stripe_hub, checkout)["status"] == "succeeded"
    with django_capture_on_commit_callbacks(execute=True):
        done = buyer.get(reverse("public:document_checkout_return", args=[checkout.public_id]))
    receipt = buyer.get(done["Location"]).content.decode()
    on_receipt = summary_figures(receipt)
    assert on_receipt.same_as(on_page), on_receipt
    assert on_receipt.rows[-1] == ("Total paid", "$2,459.75")
    assert "Total due today" not in receipt

    [mail] = [m for m in mailoutbox if m.subject.startswith("Your receipt")]
    assert receipt_mail_figures(mail.body).same_as(on_page), mail.body
