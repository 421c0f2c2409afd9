"""In a real browser: a super admin makes a key under Settings → API keys, copies the
secret, and a request with it lists the portal's products. The docs page runs under
the hub's Content-Security-Policy."""

import json
import urllib.request

import pytest

from tests.factories import PASSWORD, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_super_admin_creates_a_key_and_lists_products_with_it(
    page, live_server, super_admin, portal
):
    ProductFactory(portal=portal, name="Onboarding package")
    _sign_in(page, live_server, super_admin)
    page.goto(f"{live_server.url}/settings/")
    page.get_by_role("link", name="API keys").first.click()
    page.get_by_role("link", name="Create API key").first.click()
    page.fill("#id_name", "Accounting sync")
    page.select_option("#id_scope_products", "read")
    page.get_by_role("button", name="Create API key").click()

    secret = page.inner_text("#api-key-secret").strip()
    assert secret.startswith("chk_live_")
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/products", headers={"Authorization": f"Bearer {secret}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.loads(response.read())
    assert [p["name"] for p in body["data"]] == ["Onboarding package"]

    page.reload()
    assert page.locator("#api-key-secret").count() == 0  # shown once
    page.get_by_role("button", name="Revoke").click()
    page.get_by_role("button", name="Revoke key").click()
    assert "revoked" in page.inner_text(".alert-success")


def test_the_api_docs_render_under_the_content_security_policy(page, live_server):
    page.goto(f"{live_server.url}/api/docs")
    page.wait_for_selector("text=Commerce Hub API")
    assert page.get_by_text("/api/v1/products", exact=True).first.is_visible()


def test_the_developers_page_shows_a_curl_that_works(page, live_server, super_admin, portal):
    product = ProductFactory(portal=portal, name="Onboarding package")
    _sign_in(page, live_server, super_admin)
    page.goto(f"{live_server.url}/settings/")
    page.get_by_role("link", name="Developers").click()
    curl = page.inner_text("#api-curl")
    assert f"/api/v1/products/{product.pk}" in curl
    page.get_by_role("link", name="Event catalogue").click()
    page.wait_for_url(f"{live_server.url}/settings/webhooks/docs/")
