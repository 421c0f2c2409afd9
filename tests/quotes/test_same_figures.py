"""One presentation of lines and totals: a taxed, discounted quote shows the same line
amounts (quantity x unit price, before discount and tax) and the same subtotal,
discounts, tax and total on its page, in its PDF, on the checkout's order summary, on
the receipt page and in the receipt e-mail."""

from __future__ import annotations

from decimal import Decimal

from django.test import Client
from django.urls import reverse

from commerce.catalog.models import BillingFrequency
from payments.models import Checkout
from quotes.pdf import render_quote_pdf
from tests.figures import (
    Figures,
    document_figures,
    in_pdf,
    pdf_text,
    receipt_mail_figures,
    summary_figures,
)
from tests.payments.support import confirm
from tests.support import line


def test_a_taxed_discounted_quote_shows_the_same_figures_everywhere(
    stripe_hub, ready_account, make_quote, mailoutbox, django_capture_on_commit_callbacks
):
    quote = make_quote(
        publish=True,
        requires_payment=True,
        discount_amount=10_000,
        lines=[
            # The line: $1,500.00 taxed at 8.25 % once read $1,623.75 at checkout.
            line("Implementation", unit_amount=150_000, tax_rate=Decimal("8.25")),
            line(
                "Workshop",
                quantity=2,
                unit_amount=75_000,
                discount_percent=Decimal("10"),
                tax_rate=Decimal("8.25"),
            ),
            line(
                "Support plan",
                unit_amount=20_000,
                billing_frequency=BillingFrequency.MONTHLY,
                term_periods=12,
            ),
        ],
    )
    expected_lines = ["$1,500.00", "$1,500.00", "$200.00"]
    buyer = Client()

    page = buyer.get(reverse("quotes:public", args=[quote.public_token])).content.decode()
    on_page = document_figures(page)
    assert on_page.line_amounts == expected_lines
    labels = [label for label, _ in on_page.rows]
    assert labels == ["Subtotal", "Line discounts", "Quote discount", "Tax", "Total due today"]
    assert on_page.rows[0] == ("Subtotal", "$3,200.00")  # the lines add up to it
    assert in_pdf(on_page, pdf_text(render_quote_pdf(quote))) == []

    response = buyer.post(
        reverse("quotes:public_accept", args=[quote.public_token]),
        {"signed_name": "Bea Buyer", "agree": "on"},
    )
    checkout = Checkout.objects.get(public_id=response["Location"].split("/")[-2])
    card_step = buyer.get(response["Location"]).content.decode()
    assert summary_figures(card_step).same_as(on_page), summary_figures(card_step)

    assert confirm(stripe_hub, checkout)["status"] == "succeeded"
    with django_capture_on_commit_callbacks(execute=True):
        done = buyer.get(
            reverse("public:document_checkout_return", args=[checkout.public_id])
            + f"?payment_intent={checkout.payment_intent_id}"
        )
    receipt = buyer.get(done["Location"]).content.decode()
    on_receipt = summary_figures(receipt)
    assert on_receipt.same_as(on_page), on_receipt
    assert on_receipt.rows[-1][0] == "Total paid" and "Total due today" not in receipt

    [mail] = [m for m in mailoutbox if m.subject.startswith("Your receipt")]
    in_mail: Figures = receipt_mail_figures(mail.body)
    assert in_mail.same_as(on_page), in_mail
    assert in_mail.rows[-1][0] == "Total paid"
