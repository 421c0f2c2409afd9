"""A rep converts an accepted quote into an invoice and sends it; the buyer opens the
e-mail's link in a fresh browser and pays by card through the Stripe.js stand-in."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core import mail

from invoices.models import Invoice, InvoiceStatus
from payments.models import Payment
from quotes import services as quote_services
from quotes.services import LineInput
from tests.e2e.support import CARD_FRAME
from tests.factories import PASSWORD, ContactFactory

pytestmark = pytest.mark.browser


def test_rep_converts_a_quote_sends_the_invoice_and_the_buyer_pays_it(
    transactional_db, live_server, stripe_hub, ready_account, new_page, portal, sales_rep, settings
):
    settings.SITE_URL = live_server.url
    contact = ContactFactory(
        portal=portal, email="dana@northwind.test", first_name="Dana", last_name="Reyes"
    )
    # Given a quote the buyer accepted, to be paid by invoice
    quote = quote_services.quote_create(
        portal=portal,
        actor=sales_rep,
        title="Security programme",
        contact=contact,
        owner=sales_rep,
        expires_on=quote_services.default_expiry(portal=portal),
        requires_payment=False,
        lines=[
            LineInput(
                name="Security audit",
                quantity=1,
                unit_amount=150_000,
                discount_percent=Decimal("10"),
                tax_rate=Decimal("8"),
            )
        ],
    )
    quote = quote_services.quote_publish(quote=quote, actor=sales_rep)
    quote_services.quote_accept(
        quote=quote, signed_name="Dana Reyes", agreed_to_terms=True, ip=None, user_agent="test"
    )

    # When the rep converts it into an invoice, finalizes and sends it
    rep = new_page()
    rep.goto(f"{live_server.url}/login/")
    rep.fill("#id_username", sales_rep.email)
    rep.fill("#id_password", PASSWORD)
    rep.click("button[type=submit]")
    rep.wait_for_url(f"{live_server.url}/")
    rep.goto(f"{live_server.url}{quote.get_absolute_url()}")
    rep.get_by_role("button", name="Convert to invoice").click()
    rep.get_by_text("Draft invoice created from").wait_for()
    rep.get_by_role("button", name="Finalize").click()
    rep.locator("[data-testid=public-url]").wait_for()
    invoice = Invoice.objects.get(portal=portal)
    assert invoice.source_quote_id == quote.pk and invoice.status == InvoiceStatus.OPEN
    # $1,500 - 10 % = $1,350 + 8 % tax = $1,458.00
    assert invoice.total == 145_800
    mail.outbox.clear()
    rep.get_by_role("button", name="Send by e-mail").click()
    rep.get_by_role("button", name="Resend").wait_for()

    # Then the buyer got an e-mail with the PDF and the link to the invoice page
    sent = next(m for m in mail.outbox if m.to == ["dana@northwind.test"])
    assert any(name.endswith(".pdf") for name, *_ in sent.attachments)
    link = re.search(r"http://\S+/invoice/[\w-]+/", sent.body).group(0)

    # When the buyer opens it in a fresh browser and pays by card
    buyer = new_page()
    buyer.goto(link)
    assert "$1,458.00" in buyer.locator("[data-testid=public-amount-due]").inner_text()
    buyer.get_by_role("button", name="Pay $1,458.00").click()
    buyer.get_by_role("button", name="Pay $1,458.00").wait_for()
    assert f"Invoice {invoice.display_number}" in buyer.locator("h1").inner_text()
    card = buyer.frame_locator(CARD_FRAME)
    card.locator("#cardnumber").fill("4242 4242 4242 4242")
    card.locator("#exp-date").fill("12 / 34")
    card.locator("#cvc").fill("123")
    card.locator("#postal").fill("10001")
    buyer.get_by_role("button", name="Pay $1,458.00").click()

    # Then they see the receipt, and the invoice page says Paid
    buyer.get_by_text("Thank you, payment received").wait_for()
    buyer.get_by_role("link", name="Back to the invoice").click()
    buyer.locator("[data-testid=invoice-state]").get_by_text("Paid", exact=True).wait_for()

    # And the rep sees the invoice paid, with the card payment recorded
    invoice.refresh_from_db()
    payment = Payment.objects.get(portal=portal)
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, 145_800)
    assert (payment.source, payment.amount, payment.card_last4) == ("invoice", 145_800, "4242")
    rep.goto(f"{live_server.url}{invoice.get_absolute_url()}")
    assert "Paid" in rep.locator("[data-testid=invoice-status]").inner_text()
