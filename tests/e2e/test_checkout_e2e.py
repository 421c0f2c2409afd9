"""A sales rep makes a payment link; buyers pay it in real browsers through the
Stripe.js stand-in (fakestripe), including a decline and a 3D Secure challenge."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from commerce.catalog.models import BillingFrequency
from payments.models import Payment
from subscriptions.models import Subscription
from tests.e2e.support import CARD_FRAME, THREE_DS_FRAME
from tests.factories import PASSWORD, ProductFactory

pytestmark = pytest.mark.browser

# Set CHECKOUT_SCREENSHOTS=docs to refresh docs/checkout-desktop.png and -phone.png.
SCREENSHOTS = os.environ.get("CHECKOUT_SCREENSHOTS", "")


def fill_details(page, url: str, email: str, name: str) -> None:
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Full name").fill(name)
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Pay $249.00").wait_for()


def pay(page, number: str) -> None:
    card = page.frame_locator(CARD_FRAME)
    card.locator("#cardnumber").fill(number)
    card.locator("#exp-date").fill("12 / 34")
    card.locator("#cvc").fill("123")
    card.locator("#postal").fill("10001")
    page.get_by_role("button", name="Pay $249.00").click()


def test_rep_creates_link_and_buyers_pay_decline_and_pass_3ds(
    transactional_db, live_server, stripe_hub, ready_account, portal, sales_rep, new_page
):
    ProductFactory(portal=portal, name="Onboarding workshop", sku="ONB", unit_price=19900)
    ProductFactory(
        portal=portal,
        name="Growth plan",
        sku="GROW",
        unit_price=5000,
        billing_frequency=BillingFrequency.MONTHLY,
        term_periods=12,
    )
    portal.checkout_text = "Questions about your order? Reply to your rep's e-mail."
    portal.support_email = "billing@acme.test"
    portal.save()

    # Given a sales rep who creates a link with a one-time and a recurring product
    rep = new_page()
    rep.goto(f"{live_server.url}/login/")
    rep.fill("#id_username", sales_rep.email)
    rep.fill("#id_password", PASSWORD)
    rep.click("button[type=submit]")
    rep.wait_for_url(f"{live_server.url}/")
    rep.goto(f"{live_server.url}/payment-links/")
    rep.get_by_role("link", name="Create a payment link").click()
    rep.fill("#id_name", "Growth starter")
    rep.select_option("#id_lines-0-product", label="Onboarding workshop · $199.00")
    rep.select_option("#id_lines-1-product", label="Growth plan · $50.00 / month")
    rep.get_by_role("button", name="Create payment link").click()
    rep.get_by_text("Payment link “Growth starter” created").wait_for()
    assert rep.get_by_text("then $50.00 every month for 12 months").first.is_visible()
    url = rep.locator("#link-url-field").input_value()
    assert "/pay/" in url

    # When a buyer in a fresh browser opens it and pays with 4242…
    buyer = new_page()
    buyer.goto(url)
    assert buyer.get_by_text("Then $50.00 every month for 12 months").is_visible()
    fill_details(buyer, url, "ada@example.org", "Ada Lovelace")
    if SCREENSHOTS:
        buyer.frame_locator(CARD_FRAME).locator("#cardnumber").wait_for()
        out = Path(SCREENSHOTS)
        buyer.screenshot(path=str(out / "checkout-desktop.png"), full_page=True)
        phone = new_page(viewport={"width": 390, "height": 844})
        phone.context.add_cookies(buyer.context.cookies())
        phone.goto(url)
        phone.frame_locator(CARD_FRAME).locator("#cardnumber").wait_for()
        phone.screenshot(path=str(out / "checkout-phone.png"), full_page=True)
    pay(buyer, "4242 4242 4242 4242")

    # Then they see the receipt, and the payment and the subscription are in the hub
    buyer.get_by_text("Thank you, payment received").wait_for()
    assert "$249.00" in buyer.get_by_test_id("amount-paid").inner_text()
    payment = Payment.objects.get(portal=portal, contact__email="ada@example.org")
    assert (payment.amount, payment.status, payment.card_last4) == (24900, "succeeded", "4242")
    subscription = Subscription.objects.get(portal=portal, contact__email="ada@example.org")
    assert (subscription.amount, subscription.status) == (5000, "active")

    # When a second buyer pays with a card that is declined
    second = new_page()
    fill_details(second, url, "bob@example.org", "Bob Byers")
    pay(second, "4000 0000 0000 0002")
    # Then Stripe's message is shown on the page and nothing is recorded
    second.get_by_role("alert").filter(has_text="Your card was declined.").wait_for()
    assert not Payment.objects.filter(contact__email="bob@example.org").exists()

    # When a third buyer's bank asks for 3D Secure and they complete it
    third = new_page()
    fill_details(third, url, "cy@example.org", "Cy Young")
    pay(third, "4000 0025 0000 3155")
    third.frame_locator(THREE_DS_FRAME).get_by_role(
        "button", name="Complete authentication"
    ).click()
    third.get_by_text("Thank you, payment received").wait_for()
    assert Payment.objects.filter(portal=portal, status="succeeded").count() == 2

    # And the rep sees two uses on the link
    rep.goto(f"{live_server.url}/payment-links/")
    row = rep.locator("table.table tbody tr", has_text="Growth starter")
    assert "$498.00" in row.inner_text()

    # And the payments tool lists both payments, and the first one's detail shows the card
    rep.goto(f"{live_server.url}/payments/")
    rows = rep.locator("table.table tbody tr")
    assert rows.count() == 2
    ada = rows.filter(has_text="ada@example.org")
    assert "$249.00" in ada.inner_text() and "4242" in ada.inner_text()
    assert "Succeeded" in ada.inner_text() and "Payment link" in ada.inner_text()
    ada.get_by_role("link", name="$249.00").click()
    rep.get_by_text("Ada Lovelace").first.wait_for()
    assert "4242" in rep.content()
