"""The Content-Security-Policy in a real browser: the check that fails a browser test on a
violation works, the behaviours moved out of inline handlers still work under the
enforced policy, and the icon browsers ask for is served."""

import pytest

from commerce.portals.permissions import Role
from tests.factories import PASSWORD, MembershipFactory, PortalFactory, ProductFactory
from tests.payments.support import make_link

pytestmark = pytest.mark.browser


def sign_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_a_page_that_breaks_the_policy_is_caught(transactional_db, live_server, new_page):
    # Given a hub page, when a script the page did not vouch for tries to run
    page = new_page()
    page.goto(f"{live_server.url}/login/")
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate(
            """() => {
            const script = document.createElement("script");
            script.textContent = "document.body.dataset.injected = '1'";
            document.head.appendChild(script);
        }"""
        )

    # Then the browser refused it, and the browser fixtures recorded the violation
    assert page.evaluate("() => document.body.dataset.injected") is None
    assert any("script-src" in v for v in new_page.csp_violations), new_page.csp_violations
    new_page.csp_violations.clear()  # this test's violation was on purpose


def test_filters_dialogs_and_link_fields_work_under_the_policy(
    transactional_db, live_server, page, portal, sales_rep
):
    ProductFactory(portal=portal, name="Archived thing", archived=True)
    product = ProductFactory(portal=portal, name="Growth plan")
    link = make_link(portal, sales_rep)
    sign_in(page, live_server, sales_rep)

    # A filter select and checkbox submit their form when changed (data-autosubmit)
    page.goto(f"{live_server.url}/products/")
    page.select_option("#product-frequency", "monthly")
    page.wait_for_url("**frequency=monthly**")
    page.get_by_label("Show archived").check()
    page.wait_for_url("**archived=1**")

    # A dialog opens and closes from its buttons (data-open-dialog, data-close-dialog)
    page.goto(f"{live_server.url}/products/{product.pk}/")
    page.get_by_role("button", name="Archive").click()
    dialog = page.locator("#archive-dialog")
    assert dialog.is_visible()
    dialog.get_by_role("button", name="Cancel").click()
    assert not dialog.is_visible()

    # A link to copy selects itself on focus (data-select-on-focus)
    page.goto(f"{live_server.url}/payment-links/{link.pk}/")
    page.focus("#link-url-field")
    selected = page.evaluate(
        "() => { const f = document.getElementById('link-url-field');"
        " return f.selectionStart === 0 && f.selectionEnd === f.value.length; }"
    )
    assert selected


def test_the_portal_switcher_switches_under_the_policy(
    transactional_db, live_server, page, portal, super_admin
):
    other = PortalFactory(name="Second Portal LLC")
    MembershipFactory(portal=other, user=super_admin, role=Role.SUPER_ADMIN)
    sign_in(page, live_server, super_admin)
    page.select_option("#portal-switch", str(other.pk))
    page.wait_for_function("() => document.title.includes('Second Portal LLC')")


def test_browsers_get_the_icon_from_favicon_ico(transactional_db, live_server, page):
    response = page.goto(f"{live_server.url}/favicon.ico")
    assert response.status == 200
    assert response.header_value("content-type").startswith("image/svg+xml")
