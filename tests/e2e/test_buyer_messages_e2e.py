"""A buyer whose bank's 3D Secure check fails, or whose card is declined, reads a
sentence written for them in the hosted checkout (Stripe.js's error mapped in the
browser), never Stripe's developer text."""

from __future__ import annotations

import pytest

from payments.models import Payment
from payments.stripe.buyer_messages import MESSAGES
from tests.e2e.support import CARD_FRAME, THREE_DS_FRAME
from tests.payments.support import make_link

pytestmark = pytest.mark.browser


def open_card_step(page, url: str) -> None:
    page.goto(url)
    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Pay $250.00").wait_for()


def pay_with(page, number: str) -> None:
    card = page.frame_locator(CARD_FRAME)
    card.locator("#cardnumber").fill(number)
    card.locator("#exp-date").fill("12 / 34")
    card.locator("#cvc").fill("123")
    card.locator("#postal").fill("10001")
    page.get_by_role("button", name="Pay $250.00").click()


def test_failed_3ds_and_a_decline_show_the_buyers_sentence(
    transactional_db, live_server, stripe_hub, ready_account, portal, new_page
):
    link = make_link(portal)
    url = f"{live_server.url}/pay/{link.slug}/"

    # Given a buyer whose card always asks for 3D Secure, who fails the check
    buyer = new_page()
    open_card_step(buyer, url)
    pay_with(buyer, "4000 0000 0000 3220")
    buyer.frame_locator(THREE_DS_FRAME).get_by_role("button", name="Fail authentication").click()
    # Then the page says so in words for them, and nothing is paid
    alert = buyer.locator("#payment-message")
    alert.filter(has_text=MESSAGES["payment_intent_authentication_failure"]).wait_for()
    shown = alert.inner_text()
    assert "PaymentMethod" not in shown and "payment_method_data" not in shown
    assert not Payment.objects.exists()

    # And after a reload (the server's record of the failed attempt) it still does
    buyer.reload()
    buyer.get_by_role("button", name="Pay $250.00").wait_for()
    assert "PaymentMethod" not in buyer.content()

    # When a second buyer's card is declined for insufficient funds
    second = new_page()
    open_card_step(second, url)
    pay_with(second, "4000 0000 0000 9995")
    second.locator("#payment-message").filter(has_text=MESSAGES["insufficient_funds"]).wait_for()
    assert not Payment.objects.exists()
