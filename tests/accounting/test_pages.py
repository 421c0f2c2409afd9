"""The Accounting page and its downloads per role, its filters and empty state; the
accounting settings (super admins) with their validation; the settings card."""

from __future__ import annotations

import re

import pytest

from accounting.models import AccountingSettings
from commerce.csv import is_formula_like, neutralise
from invoices import services as invoice_services
from tests.accounting.support import books, issue, parse
from tests.factories import ContactFactory, ProductFactory
from tests.support import line

pytestmark = pytest.mark.django_db

EXPORTS = (
    "/accounting/export/quickbooks-invoices",
    "/accounting/export/quickbooks-payments",
    "/accounting/export/xero-invoices",
)
GOOD = {
    "sales_code": "4000", "sales_name": "Services Income",
    "fees_code": "6100", "fees_name": "Stripe Fees",
    "refunds_code": "4010", "refunds_name": "Refunds",
    "disputes_code": "6110", "disputes_name": "Chargebacks",
    "bank_code": "1000", "bank_name": "Checking",
    "tax_rate": "Sales Tax", "no_tax_rate": "No Tax",
}  # fmt: skip


# --- Who may see what -------------------------------------------------------------------


def test_billing_admins_see_the_page_in_the_nav_and_download(billing_client, portal):
    books(portal)
    page = billing_client.get("/accounting/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/accounting/"' in html
    assert "Download invoices" in html and "Download sales invoices" in html
    assert "Accounts &amp; tax rates" not in html  # the settings are for super admins
    for url in EXPORTS:
        response = billing_client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith('attachment; filename="')


def test_super_admins_see_the_page_and_its_settings(admin_client_, portal):
    page = admin_client_.get("/accounting/").content.decode()
    assert "Accounts &amp; tax rates" in page
    assert admin_client_.get("/settings/accounting/").status_code == 200


def test_sales_reps_are_refused_and_have_no_nav_entry(rep_client, portal):
    books(portal)
    assert rep_client.get("/accounting/").status_code == 403
    for url in EXPORTS:
        assert rep_client.get(url).status_code == 403, url
    assert rep_client.get("/settings/accounting/").status_code == 403
    assert 'href="/accounting/"' not in rep_client.get("/").content.decode()


def test_billing_admins_cannot_change_the_accounts(billing_client, portal):
    assert billing_client.get("/settings/accounting/").status_code == 403
    assert billing_client.post("/settings/accounting/", GOOD).status_code == 403
    assert not AccountingSettings.objects.filter(sales_code="4000").exists()


def test_another_portals_admin_downloads_only_their_own_books(other_client, portal):
    books(portal)
    for url in EXPORTS:
        response = other_client.get(url)
        assert response.status_code == 200
        assert parse(response.content) == [], url
    assert "Nothing to export in this period" in other_client.get("/accounting/").content.decode()


# --- Filters and the empty state ------------------------------------------------------


def test_the_empty_state_says_what_to_do(billing_client, portal):
    html = billing_client.get("/accounting/").content.decode()
    assert "Nothing to export in this period" in html
    assert "drafts are never exported" in html
    assert "Download invoices" not in html


def test_the_page_counts_what_each_export_holds(billing_client, portal):
    books(portal)
    html = billing_client.get("/accounting/").content.decode()
    assert 'data-testid="count-invoices">2<' in html
    assert 'data-testid="count-lines">4<' in html
    assert 'data-testid="count-payments">1<' in html
    # the status filter reaches the counts and the download links
    html = billing_client.get("/accounting/", {"status": "void"}).content.decode()
    assert 'data-testid="count-invoices">1<' in html
    assert "/accounting/export/xero-invoices?status=void" in html


def test_filters_outside_the_period_leave_the_invoices_out(billing_client, portal):
    a, _ = books(portal)
    before = a.issue_date.replace(year=a.issue_date.year - 1).isoformat()
    query = {"start": before, "end": before}
    assert parse(billing_client.get(EXPORTS[2], query).content) == []


@pytest.mark.parametrize(
    "query, message",
    [
        ({"start": "2026-03-01", "end": "2026-02-01"}, "The end date must be on or after the start date."),
        ({"start": "2020-01-01", "end": "2026-02-01"}, "Choose at most three years at a time."),
        ({"start": "yesterday"}, "Enter a valid date."),
        ({"status": "paid-ish"}, "Select a valid choice."),
    ],
)  # fmt: skip
def test_bad_filters_are_a_clear_message_and_no_download(billing_client, portal, query, message):
    page = billing_client.get("/accounting/", query)
    assert page.status_code == 200
    assert message in page.content.decode()
    response = billing_client.get(EXPORTS[0], query, follow=True)
    assert response.redirect_chain and response.status_code == 200
    assert "Nothing was downloaded." in response.content.decode()
    assert message in response.content.decode()


# --- Settings ---------------------------------------------------------------------------


def test_the_settings_start_from_xeros_default_chart(admin_client_, portal):
    html = admin_client_.get("/settings/accounting/").content.decode()
    for value in (
        'value="200"',
        'value="404"',
        'value="090"',
        'value="Bank Fees"',
        'value="Tax Exempt"',
    ):
        assert value in html


def test_good_settings_are_saved(admin_client_, portal):
    response = admin_client_.post("/settings/accounting/", GOOD, follow=True)
    assert "Accounting settings saved." in response.content.decode()
    saved = AccountingSettings.objects.get(portal=portal)
    assert (saved.sales_code, saved.bank_name, saved.no_tax_rate) == ("4000", "Checking", "No Tax")


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("sales_code", "", "Enter the code of the sales account, like 200."),
        ("fees_code", "20 0", "“20 0” is not an account code: use at most 10 letters, digits, dots or hyphens"),
        ("bank_code", "-090", "“-090” is not an account code"),
        ("refunds_code", "12345678901", "is not an account code"),
        ("disputes_name", "   ", "Enter the disputes account&#x27;s name."),
        ("bank_name", "=HYPERLINK(1)", "The bank account&#x27;s name cannot start with = + - or @."),
        ("tax_rate", "", "Enter the tax rate for taxed lines."),
        ("no_tax_rate", "x" * 101, "The tax rate for untaxed lines has at most 100 characters."),
    ],
)  # fmt: skip
def test_bad_settings_say_why_and_save_nothing(admin_client_, portal, field, value, message):
    response = admin_client_.post("/settings/accounting/", {**GOOD, field: value})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert value.strip() in html or not value.strip()  # what was typed comes back
    assert not AccountingSettings.objects.filter(sales_code="4000").exists()


def test_the_settings_card_shows_only_to_super_admins(admin_client_, billing_client, portal):
    assert 'href="/settings/accounting/"' in admin_client_.get("/settings/").content.decode()
    assert 'href="/settings/accounting/"' not in billing_client.get("/settings/").content.decode()


# --- Formulas in names ------------------------------------------------------------------


def test_a_formula_in_a_product_or_contact_name_is_neutralised_in_every_export(
    billing_client, portal
):
    formula = '=HYPERLINK("http://evil.test","Click")'
    product = ProductFactory(portal=portal, name="@SUM(1+1)", description="+cmd|' /C calc'!A0")
    contact = ContactFactory(portal=portal, company=formula, email="-1+1@evil.test")
    invoice = issue(
        portal,
        contact,
        [
            line(
                name=product.name,
                description=product.description,
                product=product,
                discount_amount=100,
            )
        ],
    )
    invoice_services.invoice_record_payment(
        invoice=invoice, actor=None, method="cash", amount=500, paid_on=invoice.issue_date,
        reference="-2+3",
    )  # fmt: skip
    for url in EXPORTS:
        rows = parse(billing_client.get(url).content)
        cells = {value for row in rows for value in row.values()}
        assert neutralise(formula) in cells and formula not in cells, url
        for cell in cells:  # nothing a spreadsheet would run; numbers stay numbers
            assert not is_formula_like(cell) or re.fullmatch(r"-\d+\.\d\d", cell), (url, cell)
        if "payments" in url:
            assert neutralise("-2+3") in cells
        else:
            assert any(c.startswith("'@SUM(1+1)") for c in cells), url
            assert "-1.00" in cells, url  # the discount: a negative number stays a number


def test_the_empty_state_does_not_quote_the_filters(billing_client, portal):
    html = billing_client.get("/accounting/", {"start": "2020-01-01", "end": "2020-01-31"})
    assert "Nothing to export in this period</h2>" in html.content.decode()


def test_the_service_refuses_bad_settings_all_at_once(portal):
    from accounting.services import AccountingError, accounting_settings_update

    with pytest.raises(AccountingError) as refused:
        accounting_settings_update(portal=portal, **{**GOOD, "sales_code": "", "bank_name": "@x"})
    assert set(refused.value.errors) == {"sales_code", "bank_name"}
    assert not AccountingSettings.objects.filter(sales_code="4000").exists()
