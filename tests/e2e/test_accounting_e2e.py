"""A billing admin opens Accounting from the nav and downloads the QuickBooks Online and
Xero files in a real browser; each parses back with the invoice in it."""

from __future__ import annotations

import csv
import io

import pytest

from tests.accounting.support import books
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def _rows(download) -> list[dict[str, str]]:
    with open(download.path(), encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(io.StringIO(fh.read(), newline="")))


def test_a_billing_admin_downloads_both_exports(
    transactional_db, live_server, new_page, portal, billing_admin
):
    a, b = books(portal)
    page = new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", billing_admin.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("link", name="Accounting", exact=True).first.click()
    page.wait_for_url(f"{live_server.url}/accounting/")
    assert page.get_by_test_id("count-invoices").inner_text() == "2"

    with page.expect_download() as info:
        page.get_by_role("link", name="Download invoices").click()
    quickbooks = info.value
    assert quickbooks.suggested_filename.startswith("quickbooks-invoices-")
    assert quickbooks.suggested_filename.endswith(".csv")
    rows = _rows(quickbooks)
    assert {r["InvoiceNo"] for r in rows} == {a.display_number, b.display_number}

    with page.expect_download() as info:
        page.get_by_role("link", name="Download sales invoices").click()
    xero = info.value
    assert xero.suggested_filename.startswith("xero-invoices-")
    rows = _rows(xero)
    assert {r["*InvoiceNumber"] for r in rows} == {a.display_number, b.display_number}
    assert {r["*ContactName"] for r in rows} == {"Globex", "Initech"}

    with page.expect_download() as info:
        page.get_by_role("link", name="Download payments received").click()
    assert [r["Amount"] for r in _rows(info.value)] == ["400.00"]

    # A filter reaches the downloads: void invoices only
    page.get_by_label("Status").select_option("void")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**status=void**")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download sales invoices").click()
    assert {r["*Description"] for r in _rows(info.value)} == {"Cancelled work"}
