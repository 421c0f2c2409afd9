"""The settings pages in a real browser: dialogs confirm, the colour picker syncs."""

import pytest

from commerce.portals.models import Membership
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, email):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_removing_a_member_asks_for_confirmation_first(page, live_server, super_admin, sales_rep):
    _sign_in(page, live_server, super_admin.email)
    page.goto(f"{live_server.url}/settings/team/")
    row = page.locator("tr", has_text=sales_rep.email)

    row.get_by_role("button", name="Remove").first.click()
    dialog = page.get_by_role("dialog")
    assert "loses access" in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").click()
    assert Membership.objects.filter(user=sales_rep).exists()

    row.get_by_role("button", name="Remove").first.click()
    page.get_by_role("dialog").get_by_role("button", name="Remove from portal").click()
    page.wait_for_url(f"{live_server.url}/settings/team/")

    assert "was removed from" in page.inner_text(".alert-success")
    assert not Membership.objects.filter(user=sales_rep).exists()


def test_changing_a_role_in_the_dialog(page, live_server, super_admin, sales_rep):
    _sign_in(page, live_server, super_admin.email)
    page.goto(f"{live_server.url}/settings/team/")

    page.locator("tr", has_text=sales_rep.email).get_by_role(
        "button", name="Change role"
    ).first.click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Billing admin").click()
    dialog.get_by_role("button", name="Save role").click()
    page.wait_for_url(f"{live_server.url}/settings/team/")

    assert Membership.objects.get(user=sales_rep).role == "billing_admin"


def test_colour_picker_and_hex_field_stay_in_sync(page, live_server, super_admin, portal):
    _sign_in(page, live_server, super_admin.email)
    page.goto(f"{live_server.url}/settings/portal/")

    page.fill("#id_accent_colour", "#0e9f6e")
    assert page.input_value("#accent-picker") == "#0e9f6e"
    page.click("text=Save changes")
    page.wait_for_url(f"{live_server.url}/settings/portal/")

    portal.refresh_from_db()
    assert portal.accent_colour == "#0e9f6e"
