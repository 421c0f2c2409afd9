"""A super admin connects the portal's Stripe account through the hosted onboarding."""

import pytest

from payments.connect.status import AccountStatus
from payments.models import StripeAccount
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def signed_in(page, live_server, super_admin):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", super_admin.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def test_super_admin_connects_stripe_and_sees_ready_to_transact(
    transactional_db, live_server, hub_webhooks, stripe_hub, signed_in, portal, super_admin
):
    page = signed_in
    # Given the payments tool shows the portal is not connected
    page.goto(f"{live_server.url}/payments/settings/")
    assert page.get_by_test_id("stripe-status").inner_text() == "Not connected"

    # When the admin opens the panel and tries to start without ticking the boxes
    page.get_by_role("link", name="Connect Stripe").click()
    panel = page.locator("#connect-panel")
    panel.get_by_role("button", name="Get started").click()
    # Then they are told what is missing, and nothing is created
    page.get_by_text("Confirm that your business is located in the United States.").wait_for()
    assert not StripeAccount.objects.exists()

    # When they confirm and accept, they land on Stripe's onboarding (fakestripe's stand-in)
    page.get_by_label("My business is located in the United States").check()
    page.get_by_label("I accept the payment processing terms").check()
    page.get_by_role("button", name="Get started").click()
    page.wait_for_url(f"{stripe_hub.url}/connect/onboarding/**")

    # And submit their details
    page.get_by_role("button", name="Submit and verify now").click()

    # Then they are back in the hub, ready to transact, with the guide offered
    page.wait_for_url(f"{live_server.url}/payments/settings/?returned=1")
    page.get_by_role("heading", name="Your Stripe account is ready").wait_for()
    assert page.get_by_test_id("stripe-status").inner_text() == "Ready to transact"
    account = StripeAccount.objects.get(portal=portal)
    assert account.status == AccountStatus.READY
    assert account.terms_accepted_by == super_admin
    page.get_by_role("link", name="Go to guide").click()
    page.get_by_role("heading", name="Getting paid with Commerce Hub").wait_for()


def test_leaving_onboarding_unfinished_then_continuing_later(
    transactional_db, live_server, stripe_hub, signed_in, portal
):
    page = signed_in
    page.goto(f"{live_server.url}/payments/settings/?connect=1")
    page.get_by_label("My business is located in the United States").check()
    page.get_by_label("I accept the payment processing terms").check()
    page.get_by_role("button", name="Get started").click()
    page.get_by_role("button", name="Leave without finishing").click()
    page.wait_for_url(f"{live_server.url}/payments/settings/?returned=1")
    assert page.get_by_test_id("stripe-status").inner_text() == "Onboarding incomplete"

    # Later, a fresh link takes them back to Stripe to finish
    page.goto(f"{live_server.url}/payments/settings/")
    page.get_by_role("button", name="Continue onboarding").click()
    page.get_by_role("button", name="Submit, verification pending").click()
    page.wait_for_url(f"{live_server.url}/payments/settings/?returned=1")
    assert page.get_by_test_id("stripe-status").inner_text() == "Pending verification"
    assert page.get_by_text("can take up to three days").first.is_visible()
