"""Settings → Webhooks in a real browser: add an endpoint, send a test event, see it
delivered, roll the secret."""

import pytest

from commerce.events.models import WebhookEndpoint
from tests.factories import PASSWORD

from .support import spec_signature_valid

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_super_admin_adds_an_endpoint_tests_it_and_rolls_the_secret(
    page, live_server, super_admin, receiver
):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", super_admin.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/settings/")
    page.get_by_role("link", name="Webhooks").first.click()
    page.get_by_role("link", name="Add endpoint").first.click()
    page.fill("#id_url", receiver.url("/in"))
    page.fill("#id_description", "Accounting sync")
    page.get_by_role("button", name="Add endpoint").click()

    secret = page.inner_text("#signing-secret").strip()
    endpoint = WebhookEndpoint.objects.get()
    assert secret == endpoint.secret and secret.startswith("whsec_")

    page.get_by_role("button", name="Send test event").click()
    assert "Test event sent" in page.inner_text(".alert-success")
    row = page.locator("tr", has_text="webhook.test")
    assert "Delivered" in row.inner_text()
    [received] = receiver.at("/in")
    assert spec_signature_valid(secret, received.headers, received.body)
    page.reload()
    assert page.locator("#signing-secret").count() == 0  # shown once

    row.get_by_role("link", name="webhook.test").click()
    assert received.headers["webhook-id"] in page.inner_text("main")
    assert "200" in page.inner_text("main")

    page.go_back()
    page.get_by_role("button", name="Roll secret").click()
    new_secret = page.inner_text("#signing-secret").strip()
    assert new_secret != secret
    page.get_by_role("button", name="Send test event").click()
    latest = receiver.at("/in")[-1]
    assert spec_signature_valid(new_secret, latest.headers, latest.body)
    assert spec_signature_valid(secret, latest.headers, latest.body)  # 24 hours of overlap
