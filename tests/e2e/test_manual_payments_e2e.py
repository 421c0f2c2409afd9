"""A billing admin records a manual payment in a real browser: a mistyped amount comes
back with what was typed; deleting a payment asks first, in a dialog."""

from __future__ import annotations

import pytest

from invoices import services
from invoices.models import InvoicePayment
from tests.factories import PASSWORD, ContactFactory
from tests.support import line

pytestmark = pytest.mark.browser


def test_recording_and_deleting_a_manual_payment(
    transactional_db, live_server, new_page, portal, billing_admin
):
    contact = ContactFactory(portal=portal)
    invoice = services.invoice_create(
        portal=portal,
        actor=None,
        contact=contact,
        issue_date=services.portal_today(portal),
        lines=[line(name="Audit", unit_amount=480_000)],
    )
    invoice = services.invoice_finalize(invoice=invoice, actor=None)
    page = new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", billing_admin.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}{invoice.get_absolute_url()}")

    # The amount is not pre-filled: one click records nothing
    amount = page.get_by_label("Amount", exact=True)
    assert amount.input_value() == ""
    # A mistyped amount comes back as typed, with the reason
    amount.fill("48000")
    page.get_by_label("Reference").fill("WIRE 7731")
    page.get_by_role("button", name="Record payment").click()
    page.get_by_test_id("payment-error").wait_for()
    assert (
        "more than the amount due ($4,800.00)" in page.get_by_test_id("payment-error").inner_text()
    )
    assert page.get_by_label("Amount", exact=True).input_value() == "48000"
    assert page.get_by_label("Reference").input_value() == "WIRE 7731"
    assert not InvoicePayment.objects.exists()
    # Corrected, it is recorded
    page.get_by_label("Amount", exact=True).fill("4800")
    page.get_by_role("button", name="Record payment").click()
    page.get_by_role("status").filter(has_text="Recorded $4,800.00 on").wait_for()
    payment = InvoicePayment.objects.get()

    # Delete asks first, in a dialog; keeping the payment changes nothing
    page.get_by_role("link", name="Delete the $4,800.00 payment").click()
    dialog = page.locator(f"#delete-payment-{payment.pk}-dialog")
    dialog.get_by_text("Delete the $4,800.00 bank transfer payment?").wait_for()
    dialog.get_by_role("link", name="Keep the payment").click()
    assert not dialog.is_visible()
    assert InvoicePayment.objects.filter(pk=payment.pk).exists()
    # Confirming deletes it
    page.get_by_role("link", name="Delete the $4,800.00 payment").click()
    dialog.get_by_role("button", name="Delete payment").click()
    page.get_by_role("status").filter(has_text="Payment deleted").wait_for()
    assert not InvoicePayment.objects.exists()
