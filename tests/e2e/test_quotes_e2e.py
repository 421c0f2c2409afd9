"""A sales rep builds and publishes a quote; the buyer accepts it in a fresh browser,
signs, and pays on the hosted checkout through the Stripe.js stand-in (fakestripe)."""

import re

import pytest

from payments.models import Payment
from quotes.models import Quote, QuoteStatus
from subscriptions.models import Subscription
from tests.e2e.support import CARD_FRAME
from tests.factories import PASSWORD, ContactFactory, ProductFactory

pytestmark = pytest.mark.browser


def test_rep_builds_publishes_and_buyer_accepts_and_pays(
    transactional_db, live_server, stripe_hub, ready_account, new_page, portal, sales_rep, settings
):
    settings.SITE_URL = live_server.url
    audit = ProductFactory(portal=portal, name="Security audit", unit_price=150_000)
    plan = ProductFactory(
        portal=portal,
        name="Support plan",
        unit_price=20_000,
        billing_frequency="monthly",
        term_periods=12,
    )
    ContactFactory(portal=portal, email="dana@northwind.test", first_name="Dana", last_name="Reyes")

    # Given a signed-in sales rep on the quote builder
    rep = new_page()
    rep.goto(f"{live_server.url}/login/")
    rep.fill("#id_username", sales_rep.email)
    rep.fill("#id_password", PASSWORD)
    rep.click("button[type=submit]")
    rep.wait_for_url(f"{live_server.url}/")
    rep.goto(f"{live_server.url}/quotes/new/")

    # When they add two products, a line discount, tax and a quote discount
    rep.fill("#id_title", "Security programme")
    rep.select_option("#id_contact", label="Dana Reyes")
    rep.select_option("[name=lines-0-product]", str(audit.pk))
    rep.fill("[name=lines-0-discount_value]", "10")
    rep.fill("[name=lines-0-tax_rate]", "8")
    rep.get_by_role("button", name="+ Add a line").click()
    rep.select_option("[name=lines-1-product]", str(plan.pk))
    rep.fill("[name=lines-1-tax_rate]", "8")
    rep.fill("#id_discount_value", "5")

    # Then the totals are priced by the server while they type
    # 1,500 - 10 % = 1,350; + 200 = 1,550; - 5 % = 1,472.50; + 8 % tax = 1,590.30
    totals = rep.locator("[data-testid=builder-totals]")
    rep.wait_for_function(  # a function, not an expression: the CSP refuses eval
        "() => document.querySelector('[data-testid=total]') && "
        "document.querySelector('[data-testid=total]').textContent.includes('$1,590.30')"
    )
    assert "$1,700.00" in totals.inner_text()
    # A line's amount is quantity x unit price, as on the quote and at checkout; its
    # discount is a row under the lines
    assert rep.locator("tr[data-prefix=lines-0] [data-line-total]").inner_text() == "$1,500.00"
    assert "Line discounts" in totals.inner_text()

    # When they move the plan first, save and publish
    rep.locator("tr[data-prefix=lines-1] [data-move=up]").click()
    rep.get_by_role("button", name="Save draft").click()
    rep.get_by_text("saved as a draft").wait_for()
    quote = Quote.objects.get(portal=portal)
    assert [line.name for line in quote.lines.all()] == ["Support plan", "Security audit"]
    rep.get_by_role("button", name="Publish").click()
    rep.get_by_text("is published").wait_for()
    public_url = rep.locator("[data-testid=public-url]").input_value()
    assert re.search(r"/quotes/p/[\w-]{32}/$", public_url)

    # When the buyer opens the link in a fresh browser and accepts with their name
    buyer = new_page()
    buyer.goto(public_url)
    assert "$1,590.30" in buyer.locator("[data-testid=due-today]").inner_text()
    buyer.get_by_role("button", name="Accept, sign and pay").click()
    buyer.get_by_text("Tick the box to accept the terms.").wait_for()
    buyer.fill("#id_signed_name", "Dana Reyes")
    buyer.check("#id_agree")
    buyer.get_by_role("button", name="Accept, sign and pay").click()

    # Then the signature is recorded and they are on the card step for the total today
    buyer.get_by_role("button", name="Pay $1,590.30").wait_for()
    quote.refresh_from_db()
    assert (quote.status, quote.accepted_name) == (QuoteStatus.ACCEPTED, "Dana Reyes")
    assert quote.accepted_user_agent
    assert f"Quote {quote.display_number}" in buyer.locator("h1").inner_text()

    # When they pay with 4242 4242 4242 4242 through Stripe.js
    card = buyer.frame_locator(CARD_FRAME)
    card.locator("#cardnumber").fill("4242 4242 4242 4242")
    card.locator("#exp-date").fill("12 / 34")
    card.locator("#cvc").fill("123")
    card.locator("#postal").fill("10001")
    buyer.get_by_role("button", name="Pay $1,590.30").click()

    # Then they see the receipt, and the quote page says Paid
    buyer.get_by_text("Thank you, payment received").wait_for()
    assert "$1,590.30" in buyer.locator("[data-testid=amount-paid]").inner_text()
    buyer.get_by_role("link", name="Back to the quote").click()
    buyer.locator("[data-testid=quote-state]").get_by_text("Paid", exact=True).wait_for()
    assert "Dana Reyes" in buyer.locator("[data-testid=signature]").inner_text()

    # And the hub has the payment, the quote is paid and the plan became a subscription
    quote.refresh_from_db()
    payment = Payment.objects.get(portal=portal)
    assert (quote.status, quote.payment_id) == (QuoteStatus.PAID, payment.pk)
    assert (payment.amount, payment.source, payment.card_last4) == (159_030, "quote", "4242")
    subscription = Subscription.objects.get(portal=portal)
    assert (subscription.contact, subscription.billing_frequency, subscription.term_periods) == (
        quote.contact,
        "monthly",
        12,
    )

    # And the rep sees it paid, with a notice in the hub
    rep.goto(f"{live_server.url}/quotes/")
    rep.get_by_text(f"{quote.display_number} was paid.").wait_for()
    rep.goto(f"{live_server.url}{quote.get_absolute_url()}")
    assert "Paid" in rep.locator("[data-testid=quote-status]").inner_text()
