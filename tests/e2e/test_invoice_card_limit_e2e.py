"""An invoice issued above the card limit, with the largest amount one line can come to
in its "Amount due" (100,000 x $999,999.99): on a phone and on a desktop its page offers
no card payment, says how to pay, and every amount fits in its card."""

from __future__ import annotations

import pytest

from invoices import services
from tests.factories import ContactFactory
from tests.support import line

pytestmark = pytest.mark.browser

# Elements whose content is wider than their box (text clipped or spilling out).
OVERFLOWING = """() => [...document.querySelectorAll('.document-answer *, .doc-head *, .doc-totals *')]
  .filter(el => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'auto')
  .map(el => el.className || el.tagName)"""


@pytest.mark.parametrize("width", [390, 1366])
def test_an_invoice_above_the_card_limit_fits_and_offers_no_card(
    transactional_db, live_server, stripe_hub, ready_account, new_page, portal, width
):
    invoice = services.invoice_create(
        portal=portal,
        actor=None,
        contact=ContactFactory(portal=portal),
        issue_date=services.portal_today(portal),
        lines=[line("Turbines", quantity=100_000, unit_amount=99_999_999)],
        above_card_limit=True,
        memo="Pay by wire to ACME Bank, account 0001.",
    )
    invoice = services.invoice_finalize(invoice=invoice, actor=None)
    page = new_page({"width": width, "height": 900})

    page.goto(f"{live_server.url}/invoice/{invoice.public_token}/")

    assert "$99,999,999,000.00" in page.get_by_test_id("public-amount-due").inner_text()
    assert page.get_by_test_id("pay-button").count() == 0
    assert "by bank transfer or cheque" in page.get_by_test_id("invoice-state").inner_text()
    assert page.evaluate(OVERFLOWING) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
