"""`make dev`'s promise in real browsers: a super admin points an endpoint at a local
receiver, a buyer pays a payment link on the hosted checkout (fakestripe's Stripe.js),
and checkout.completed and payment.succeeded arrive signed and show as delivered."""

import pytest

from commerce.events.models import WebhookEndpoint
from payments.links.services import LineSpec
from payments.models import Payment
from tests.e2e.support import CARD_FRAME
from tests.factories import PASSWORD, ProductFactory
from tests.payments.support import make_link

from .support import spec_signature_valid

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_buyer_pays_a_link_and_the_endpoint_receives_both_events_signed(
    new_page, live_server, stripe_hub, ready_account, portal, super_admin, receiver
):
    # A super admin adds an endpoint for the two types under Settings → Webhooks
    admin = new_page()
    admin.goto(f"{live_server.url}/login/")
    admin.fill("#id_username", super_admin.email)
    admin.fill("#id_password", PASSWORD)
    admin.click("button[type=submit]")
    admin.wait_for_url(f"{live_server.url}/")
    admin.goto(f"{live_server.url}/settings/")
    admin.get_by_role("link", name="Webhooks").first.click()
    admin.get_by_role("link", name="Add endpoint").first.click()
    admin.fill("#id_url", receiver.url("/in"))
    admin.uncheck("#id_all_events")
    admin.check("input[name=event_types][value='checkout.completed']")
    admin.check("input[name=event_types][value='payment.succeeded']")
    admin.get_by_role("button", name="Add endpoint").click()
    secret = admin.inner_text("#signing-secret").strip()
    assert secret == WebhookEndpoint.objects.get().secret

    # A buyer pays a payment link by card
    product = ProductFactory(portal=portal, name="Audit", unit_price=12_000)
    link = make_link(portal, lines=[LineSpec(product_id=product.pk, quantity=1)])
    buyer = new_page()
    buyer.goto(f"{live_server.url}/pay/{link.slug}/")
    buyer.get_by_label("Email").fill("ada@example.org")
    buyer.get_by_label("Full name").fill("Ada Lovelace")
    buyer.get_by_role("button", name="Continue to payment").click()
    card = buyer.frame_locator(CARD_FRAME)
    card.locator("#cardnumber").fill("4242 4242 4242 4242")
    card.locator("#exp-date").fill("12 / 34")
    card.locator("#cvc").fill("123")
    card.locator("#postal").fill("10001")
    buyer.get_by_role("button", name="Pay $120.00").click()
    buyer.get_by_text("Thank you, payment received").wait_for()

    # The receiver has both events, signed with the endpoint's secret
    received = receiver.at("/in")
    assert sorted(r.json["type"] for r in received) == ["checkout.completed", "payment.succeeded"]
    for r in received:
        assert spec_signature_valid(secret, r.headers, r.body)
    payment = Payment.objects.get()
    objects = {r.json["type"]: r.json["data"]["object"] for r in received}
    assert objects["payment.succeeded"]["id"] == str(payment.pk)
    assert objects["checkout.completed"]["payment"] == str(payment.pk)

    # …and the admin sees them delivered in the endpoint's log
    admin.reload()
    for type in ("checkout.completed", "payment.succeeded"):
        assert "Delivered" in admin.locator("tr", has_text=type).inner_text()
