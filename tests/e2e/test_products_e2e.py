"""A sales rep builds the product library in a real browser."""

import re

import pytest

from commerce.catalog.models import Product
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_sales_rep_creates_finds_and_archives_a_product(
    transactional_db, live_server, page, portal, sales_rep
):
    # Given a sales rep who signs in
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", sales_rep.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    # When they create a monthly product from the product library
    page.goto(f"{live_server.url}/products/")
    page.get_by_role("link", name="Add a product").click()
    page.fill("#id_name", "Growth plan")
    page.fill("#id_sku", "PLAN-GROWTH")
    page.fill("#id_description", "Up to 25 seats.")
    page.fill("#id_unit_price", "$1,490.50")
    page.select_option("#id_billing_frequency", "monthly")
    page.fill("#id_term_periods", "12")
    page.get_by_role("button", name="Create product").click()

    # Then it is saved in cents and shown on its page
    page.get_by_text("Product “Growth plan” created.").wait_for()
    product = Product.objects.get(portal=portal, sku="PLAN-GROWTH")
    assert (product.unit_price, product.term_periods) == (149050, 12)
    assert page.get_by_text("every month for 12 months").is_visible()

    # When another product exists and they search by SKU
    Product.objects.create(portal=portal, name="Starter plan", sku="PLAN-START", unit_price=4900)
    page.get_by_role("link", name="Products").first.click()
    page.fill("#product-search", "plan-growth")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*q=plan-growth.*"))

    # Then only that product is listed
    rows = page.locator("table.table tbody tr")
    assert rows.count() == 1
    assert "Growth plan" in rows.first.inner_text()

    # When they archive it through the confirmation dialog
    page.get_by_role("link", name="Growth plan").click()
    page.get_by_role("button", name="Archive", exact=True).click()
    dialog = page.locator("dialog#archive-dialog")
    assert dialog.is_visible()
    assert "Archive “Growth plan”?" in dialog.inner_text()
    dialog.get_by_role("button", name="Archive product").click()

    # Then it leaves the active list...
    page.wait_for_url(f"{live_server.url}/products/")
    page.get_by_text("“Growth plan” archived.").wait_for()
    table = page.locator("table.table")
    assert "Starter plan" in table.inner_text()
    assert "Growth plan" not in table.inner_text()

    # ...and appears again, marked archived, with "Show archived"
    page.get_by_label("Show archived").check()
    page.wait_for_url(re.compile(r".*archived=1.*"))
    archived_row = page.locator("table.table tbody tr", has_text="Growth plan")
    assert archived_row.count() == 1
    assert "Archived" in archived_row.inner_text()
    product.refresh_from_db()
    assert product.archived
