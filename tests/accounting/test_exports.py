"""The QuickBooks Online and Xero files parse back with the csv module, hold exactly the
hand-computed amounts, leave out what they should, and split at the vendors' limits."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounting import exports, selectors
from accounting.services import accounting_settings_for, accounting_settings_update
from commerce.documents.kinds import portal_today
from invoices.models import Invoice, InvoicePayment
from tests.accounting.support import books, bulk_invoices, parse

pytestmark = pytest.mark.django_db


def _filters(portal, **kw):
    today = portal_today(portal)
    return selectors.Filters(since=today.replace(day=1), until=today, **kw)


def _build(fmt, portal, **kw):
    filters = _filters(portal, **kw)
    if fmt is exports.QUICKBOOKS_PAYMENTS:
        items = selectors.payments_for_export(portal=portal, filters=filters)
    else:
        items = selectors.invoices_for_export(portal=portal, filters=filters)
    return exports.build(fmt, items, accounting_settings_for(portal=portal), stamp="x")


def _us(date) -> str:
    return date.strftime("%m/%d/%Y")


def test_quickbooks_invoices_hold_every_line_and_discount_to_the_cent(portal):
    a, b = books(portal)
    download = _build(exports.QUICKBOOKS_INVOICES, portal)
    assert download.filename == "quickbooks-invoices-x.csv" and download.files == 1
    text = download.body.decode()
    assert text.splitlines()[0] == ",".join(exports.QUICKBOOKS_INVOICE_COLUMNS)
    rows = parse(text)
    assert {r["InvoiceNo"] for r in rows} == {a.display_number, b.display_number}
    first = [r for r in rows if r["InvoiceNo"] == a.display_number]
    assert [(r["Item(Product/Service)"], r["ItemQuantity"], r["ItemRate"], r["ItemAmount"], r["ItemTaxCode"]) for r in first] == [
        ("Consulting", "3", "150.00", "450.00", "TAX"),
        ("Discount", "", "", "-45.00", "TAX"),
        ("Hosting", "1", "19.99", "19.99", "NON"),
        ("Setup", "2", "12.50", "25.00", "NON"),
        ("Discount", "", "", "-5.00", "NON"),
    ]  # fmt: skip
    assert first[0]["ItemDescription"] == "Strategy workshop"
    assert first[1]["ItemDescription"] == "Discount 10% on Consulting"
    assert {(r["Customer"], r["InvoiceDate"], r["DueDate"], r["Terms"], r["Memo"]) for r in first} == {
        ("Globex", _us(a.issue_date), _us(a.due_date), "Net 30", "Thank you")
    }  # fmt: skip
    # Lines add up to the subtotal less discounts; QuickBooks' tax on the TAX lines
    # (8.25% of 405.00 = 33.41) brings it to the hub's total.
    amounts = sum(Decimal(r["ItemAmount"]) for r in first)
    taxed = sum(Decimal(r["ItemAmount"]) for r in first if r["ItemTaxCode"] == "TAX")
    assert amounts == Decimal("444.99") == Decimal(a.subtotal - a.discount_total) / 100
    assert taxed == Decimal("405.00")
    assert amounts + Decimal("33.41") == Decimal(a.total) / 100 == Decimal("478.40")
    assert sum(Decimal(r["ItemAmount"]) for r in rows) == Decimal("1444.99")


def test_xero_invoices_follow_the_template_to_the_cent(portal):
    a, _ = books(portal)
    download = _build(exports.XERO_INVOICES, portal)
    text = download.body.decode()
    assert text.splitlines()[0].split(",") == exports.XERO_INVOICE_COLUMNS
    rows = parse(text)
    first = [r for r in rows if r["*InvoiceNumber"] == a.display_number]
    assert [(r["*Description"], r["*Quantity"], r["*UnitAmount"], r["*TaxType"]) for r in first] == [
        ("Consulting — Strategy workshop", "3", "150.00", "Tax on Sales"),
        ("Discount 10% on Consulting", "1", "-45.00", "Tax on Sales"),
        ("Hosting", "1", "19.99", "Tax Exempt"),
        ("Setup", "2", "12.50", "Tax Exempt"),
        ("Discount on Setup", "1", "-5.00", "Tax Exempt"),
    ]  # fmt: skip
    row = first[0]
    assert (row["*ContactName"], row["EmailAddress"], row["POAddressLine1"], row["POCity"]) == (
        "Globex", "ap@globex.test", "1 Main St", "Springfield"
    )  # fmt: skip
    assert (row["*InvoiceDate"], row["*DueDate"]) == (_us(a.issue_date), _us(a.due_date))
    assert {r["*AccountCode"] for r in rows} == {"200"}
    assert {r["Currency"] for r in rows} == {"USD"}
    total = sum(Decimal(r["*Quantity"]) * Decimal(r["*UnitAmount"]) for r in first)
    assert total == Decimal("444.99")
    assert sum(Decimal(r["*Quantity"]) * Decimal(r["*UnitAmount"]) for r in rows) == Decimal(
        "1444.99"
    )


def test_payments_received_match_the_recorded_payments(portal):
    _, b = books(portal)
    rows = parse(_build(exports.QUICKBOOKS_PAYMENTS, portal).body)
    assert rows == [
        {
            "PaymentDate": _us(b.issue_date),
            "Customer": "Initech",
            "InvoiceNo": b.display_number,
            "Amount": "400.00",
            "PaymentMethod": "Cheque",
            "DepositToAccount": "Business Bank Account",
            "ReferenceNo": "CHQ 7",
            "Memo": f"Cheque payment of {b.display_number}",
        }
    ]


def test_drafts_never_and_void_only_when_asked(portal):
    books(portal)
    default = {r["*Description"] for r in parse(_build(exports.XERO_INVOICES, portal).body)}
    assert "Draft work" not in default and "Cancelled work" not in default
    void = parse(_build(exports.XERO_INVOICES, portal, status="void").body)
    assert {r["*Description"] for r in void} == {"Cancelled work"}
    paid_only = parse(_build(exports.QUICKBOOKS_INVOICES, portal, status="paid").body)
    assert paid_only == []


def test_another_portals_invoices_never_appear(portal, other_portal):
    books(portal)
    for fmt in exports.FORMATS.values():
        assert parse(_build(fmt, other_portal).body) == [], fmt.slug


def test_the_exports_use_the_portals_accounts(portal):
    books(portal)
    accounting_settings_update(
        portal=portal,
        sales_code="4000", sales_name="Services Income", fees_code="6100", fees_name="Stripe Fees",
        refunds_code="4010", refunds_name="Refunds", disputes_code="6110", disputes_name="Chargebacks",
        bank_code="1000", bank_name="Checking", tax_rate="Sales Tax", no_tax_rate="No Tax",
    )  # fmt: skip
    xero = parse(_build(exports.XERO_INVOICES, portal).body)
    assert {r["*AccountCode"] for r in xero} == {"4000"}
    assert {r["*TaxType"] for r in xero} == {"Sales Tax", "No Tax"}
    payments = parse(_build(exports.QUICKBOOKS_PAYMENTS, portal).body)
    assert {r["DepositToAccount"] for r in payments} == {"Checking"}


def test_1001_invoices_make_a_zip_of_three_xero_files(portal):
    bulk_invoices(portal, 1001)
    download = _build(exports.XERO_INVOICES, portal)
    assert (download.filename, download.content_type, download.files) == (
        "xero-invoices-x.zip", "application/zip", 3
    )  # fmt: skip
    with zipfile.ZipFile(io.BytesIO(download.body)) as zf:
        names = zf.namelist()
        files = [parse(zf.read(name)) for name in names]
    assert names == [f"xero-invoices-x-{n}-of-3.csv" for n in (1, 2, 3)]
    assert [len({r["*InvoiceNumber"] for r in rows}) for rows in files] == [500, 500, 1]
    numbers = [r["*InvoiceNumber"] for rows in files for r in rows]
    assert len(numbers) == len(set(numbers)) == 1001  # every invoice once, none split
    assert sum(Decimal(r["*UnitAmount"]) for rows in files for r in rows) == Decimal("10010.00")
    # QuickBooks takes at most 100 a file
    assert _build(exports.QUICKBOOKS_INVOICES, portal).files == 11


def test_500_invoices_are_still_one_xero_csv(portal):
    bulk_invoices(portal, 500)
    download = _build(exports.XERO_INVOICES, portal)
    assert download.files == 1 and download.filename.endswith(".csv")
    assert len(parse(download.body)) == 500


def _pay_all(portal):
    today = portal_today(portal)
    unpaid = Invoice.objects.filter(portal=portal, payments__isnull=True)
    InvoicePayment.objects.bulk_create(
        InvoicePayment(portal=portal, invoice=i, method="cash", amount=100, paid_on=today)
        for i in unpaid
    )


def test_the_export_runs_the_same_queries_whatever_the_number_of_invoices(billing_client, portal):
    bulk_invoices(portal, 3)
    _pay_all(portal)
    urls = ("xero-invoices", "quickbooks-invoices", "quickbooks-payments")
    for url in urls:  # the first request of a session loads more (and makes the settings row)
        billing_client.get(f"/accounting/export/{url}")
    counts = []
    for more in (0, 150):
        if more:
            bulk_invoices(portal, more)
            _pay_all(portal)
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                response = billing_client.get(f"/accounting/export/{url}")
            assert response.status_code == 200
            counts.append((url, len(ctx.captured_queries)))
    rows = parse(billing_client.get("/accounting/export/quickbooks-payments").content)
    assert len(rows) == 153
    assert counts[:3] == counts[3:]


def test_the_command_writes_one_csv_to_stdout_and_a_zip_past_the_limit(portal, tmp_path, capsys):
    bulk_invoices(portal, 501)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(
        CommandError,
        match=re.escape("501 invoices make 2 files of at most 500: give --output FILE.zip"),
    ):
        call_command("export_xero_invoices", portal=str(portal.pk), stdout=out, stderr=err)
    target = tmp_path / "xero.zip"
    call_command(
        "export_xero_invoices", portal=str(portal.pk), output=str(target), stdout=out, stderr=err
    )
    assert "Exported 501 invoices from Acme Test Co. to" in out.getvalue()
    assert "in 2 files" in out.getvalue()
    assert "Exporting Xero sales invoices" in capsys.readouterr().err  # the progress bar
    with zipfile.ZipFile(target) as zf:
        assert len(zf.namelist()) == 2


def test_the_commands_refuse_bad_dates_clearly(portal):
    with pytest.raises(
        CommandError, match=re.escape("“2026-13-01” is not a date: use YYYY-MM-DD.")
    ):
        call_command("export_quickbooks_invoices", portal=str(portal.pk), since="2026-13-01")
    with pytest.raises(CommandError, match=re.escape("--until is before --since.")):
        call_command(
            "export_quickbooks_payments", portal=str(portal.pk), since="2026-02-01", until="2026-01-01"
        )  # fmt: skip
