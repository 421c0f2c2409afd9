"""Files that QuickBooks Online and Xero import as they are: invoices (one row per
invoice line, the invoice's fields repeated on each of its rows) and payments received.

Written by the hub's one CSV writer (`commerce.csv`): text cells never run as
spreadsheet formulas, amounts are numbers (`money.to_decimal`: "1234.50", "-12.00",
no currency sign, no thousands separator). Dates are MM/DD/YYYY: the portals are US
businesses, QuickBooks' importer asks for the file's date format (MM/DD/YYYY is the US
default) and Xero reads dates in the organisation's regional format.

A discount is a line of its own with a negative amount, right below the discounted
line and with its tax code: neither importer takes a line discount as an amount
(Xero's "Discount" column is a percentage it would round itself), and this way every
cent of the hub's totals reaches the ledger. Tax amounts are left to the importer,
which computes them from the tax code or tax rate it is given.

Sources (checked in December 2026):
- QuickBooks Online, "Import invoices in batches" (quickbooks.intuit.com/learn-support,
  help article 01/338729, quoted in Intuit's community answer "Do we need to map field
  everytime when import invoices??"): headers it maps by itself are Invoice number*,
  Customer*, Invoice date*, Due date*, Terms, Service Date, Item (Product/Service),
  Item Description, Item Quantity, Item Rate, Item Amount*, Item tax code, Memo. Its
  sample file spells them InvoiceNo, Item(Product/Service), ItemAmount, … as below. On
  US tax codes "TAX" and "NON": support.zed-systems.com (Axis) "Line Sales Item TaxCode".
  Importing invoices is a QuickBooks Online Advanced feature in the US; at most 100
  invoices and 2 MB per file (importcsv.com's "QuickBooks CSV import format"
  reference, a third party), so more invoices make a zip of several files.
- QuickBooks Online has no import of payments received (its Import Data takes bank
  data, customers, vendors, accounts, products, invoices, bills and journal entries);
  the payments file has the fields of its "Receive payment" form, for the import apps
  that post them (Transaction Pro, SaaSAnt) or for reconciling by hand.
- Xero, "Import invoices and bills" (Xero Central) and its sales invoice template, as
  quoted by the sblive Xero guide (online.flippingbook.com/view/399081/31): headers
  marked * are required and keep their asterisk, at most 500 invoices per file,
  UnitAmount all tax exclusive or all inclusive (chosen on import: these are exclusive),
  TaxType is the display name of one of the organisation's tax rates, AccountCode the
  code as Xero shows it.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from commerce import money
from commerce.csv import Cell, CsvDictWriter
from commerce.customers.models import Contact
from commerce.pricing import Line, price_line
from invoices.models import Invoice, InvoicePayment, PaymentTerms

from .models import AccountingSettings

DATE_FORMAT = "%m/%d/%Y"

QUICKBOOKS_INVOICE_COLUMNS = [
    "InvoiceNo",
    "Customer",
    "InvoiceDate",
    "DueDate",
    "Terms",
    "Memo",
    "Item(Product/Service)",
    "ItemDescription",
    "ItemQuantity",
    "ItemRate",
    "ItemAmount",
    "ItemTaxCode",
]
QUICKBOOKS_PAYMENT_COLUMNS = [
    "PaymentDate",
    "Customer",
    "InvoiceNo",
    "Amount",
    "PaymentMethod",
    "DepositToAccount",
    "ReferenceNo",
    "Memo",
]
XERO_INVOICE_COLUMNS = [
    "*ContactName",
    "EmailAddress",
    "POAddressLine1",
    "POAddressLine2",
    "POAddressLine3",
    "POAddressLine4",
    "POCity",
    "PORegion",
    "POPostalCode",
    "POCountry",
    "*InvoiceNumber",
    "Reference",
    "*InvoiceDate",
    "*DueDate",
    "InventoryItemCode",
    "*Description",
    "*Quantity",
    "*UnitAmount",
    "Discount",
    "*AccountCode",
    "*TaxType",
    "TrackingName1",
    "TrackingOption1",
    "TrackingName2",
    "TrackingOption2",
    "Currency",
    "BrandingTheme",
]
QUICKBOOKS_MAX_INVOICES = 100
XERO_MAX_INVOICES = 500

# The hub's payment terms by the names QuickBooks gives its own; with a custom due
# date Terms is left blank and the due date says it.
_QUICKBOOKS_TERMS: dict[str, str] = {
    PaymentTerms.DUE_ON_RECEIPT: "Due on receipt",
    PaymentTerms.NET_15: "Net 15",
    PaymentTerms.NET_30: "Net 30",
    PaymentTerms.NET_45: "Net 45",
    PaymentTerms.NET_60: "Net 60",
}


def customer_name(contact: Contact | None) -> str:
    """The name both ledgers file the customer under: the company, else the person."""
    if contact is None:
        return "Unknown customer"
    return contact.company or contact.full_name or contact.email


def _date(value: Any) -> str:
    return value.strftime(DATE_FORMAT) if value else ""


def _amount(cents: int, currency: str) -> Decimal:
    return money.to_decimal(cents, currency)


@dataclass(frozen=True)
class _Priced:
    name: str
    description: str
    quantity: int
    unit_amount: int
    subtotal: int
    discount: int
    taxed: bool
    discount_label: str


def _priced_lines(invoice: Invoice) -> Iterator[_Priced]:
    for line in invoice.lines.all():
        priced = price_line(Line.from_snapshot(line))
        if line.discount_percent is not None:
            label = f"Discount {line.discount_percent.normalize():f}% on {line.name}"
        else:
            label = f"Discount on {line.name}"
        yield _Priced(
            name=line.name,
            description=line.description,
            quantity=line.quantity,
            unit_amount=line.unit_amount,
            subtotal=priced.subtotal,
            discount=priced.discount,
            taxed=bool(line.tax_rate),
            discount_label=label,
        )


def quickbooks_invoice_rows(
    invoice: Invoice, settings: AccountingSettings
) -> Iterator[dict[str, Cell]]:
    c = invoice.currency
    head: dict[str, Cell] = {
        "InvoiceNo": invoice.display_number,
        "Customer": customer_name(invoice.contact),
        "InvoiceDate": _date(invoice.issue_date),
        "DueDate": _date(invoice.due_date),
        "Terms": _QUICKBOOKS_TERMS.get(invoice.payment_terms, ""),
        "Memo": invoice.memo,
    }
    for line in _priced_lines(invoice):
        tax_code = "TAX" if line.taxed else "NON"
        yield {
            **head,
            "Item(Product/Service)": line.name,
            "ItemDescription": line.description,
            "ItemQuantity": line.quantity,
            "ItemRate": _amount(line.unit_amount, c),
            "ItemAmount": _amount(line.subtotal, c),
            "ItemTaxCode": tax_code,
        }
        if line.discount:
            yield {
                **head,
                "Item(Product/Service)": "Discount",
                "ItemDescription": line.discount_label,
                "ItemAmount": _amount(-line.discount, c),
                "ItemTaxCode": tax_code,
            }


def quickbooks_payment_rows(
    payment: InvoicePayment, settings: AccountingSettings
) -> Iterator[dict[str, Cell]]:
    invoice = payment.invoice
    reference = payment.reference
    if not reference and payment.payment is not None:
        reference = payment.payment.payment_intent_id
    yield {
        "PaymentDate": _date(payment.paid_on),
        "Customer": customer_name(invoice.contact),
        "InvoiceNo": invoice.display_number,
        "Amount": _amount(payment.amount, invoice.currency),
        "PaymentMethod": payment.get_method_display(),
        "DepositToAccount": settings.bank_name,
        "ReferenceNo": reference,
        "Memo": f"{payment.get_method_display()} payment of {invoice.display_number}",
    }


def xero_invoice_rows(invoice: Invoice, settings: AccountingSettings) -> Iterator[dict[str, Cell]]:
    c = invoice.currency
    contact = invoice.contact
    head: dict[str, Cell] = {
        "*ContactName": customer_name(contact),
        "EmailAddress": contact.email if contact else "",
        "POAddressLine1": contact.billing_line1 if contact else "",
        "POAddressLine2": contact.billing_line2 if contact else "",
        "POCity": contact.billing_city if contact else "",
        "PORegion": contact.billing_state if contact else "",
        "POPostalCode": contact.billing_postal_code if contact else "",
        "POCountry": contact.billing_country if contact else "",
        "*InvoiceNumber": invoice.display_number,
        "Reference": invoice.source_quote.display_number if invoice.source_quote else "",
        "*InvoiceDate": _date(invoice.issue_date),
        "*DueDate": _date(invoice.due_date),
        "*AccountCode": settings.sales_code,
        "Currency": c.upper(),
    }
    for line in _priced_lines(invoice):
        tax_type = settings.tax_rate if line.taxed else settings.no_tax_rate
        description = f"{line.name} — {line.description}" if line.description else line.name
        yield {
            **head,
            "*Description": description,
            "*Quantity": line.quantity,
            "*UnitAmount": _amount(line.unit_amount, c),
            "*TaxType": tax_type,
        }
        if line.discount:
            yield {
                **head,
                "*Description": line.discount_label,
                "*Quantity": 1,
                "*UnitAmount": _amount(-line.discount, c),
                "*TaxType": tax_type,
            }


@dataclass(frozen=True)
class Format:
    """One kind of export: its columns, its rows per invoice (or payment), and how many
    invoices one file may hold (None: no limit)."""

    slug: str
    title: str
    columns: list[str]
    rows: Callable[[Any, AccountingSettings], Iterable[dict[str, Cell]]]
    per_file: int | None = None


QUICKBOOKS_INVOICES = Format(
    "quickbooks-invoices",
    "QuickBooks Online invoices",
    QUICKBOOKS_INVOICE_COLUMNS,
    quickbooks_invoice_rows,
    QUICKBOOKS_MAX_INVOICES,
)
QUICKBOOKS_PAYMENTS = Format(
    "quickbooks-payments",
    "QuickBooks Online payments received",
    QUICKBOOKS_PAYMENT_COLUMNS,
    quickbooks_payment_rows,
)
XERO_INVOICES = Format(
    "xero-invoices",
    "Xero sales invoices",
    XERO_INVOICE_COLUMNS,
    xero_invoice_rows,
    XERO_MAX_INVOICES,
)
FORMATS = {f.slug: f for f in (QUICKBOOKS_INVOICES, QUICKBOOKS_PAYMENTS, XERO_INVOICES)}


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    body: bytes
    files: int  # CSV files in it: 1, or more inside a zip


def file_count(fmt: Format, items: int) -> int:
    if fmt.per_file is None or items <= fmt.per_file:
        return 1
    return math.ceil(items / fmt.per_file)


def build(
    fmt: Format,
    items: Sequence[Any],
    settings: AccountingSettings,
    *,
    stamp: str,
    progress: Callable[[Iterable[Any]], Iterable[Any]] = iter,
) -> Download:
    """`items` as one CSV, or as a zip of CSVs of at most `fmt.per_file` items each
    (`stamp` names the files); `progress` wraps the iteration (a progress bar)."""
    total = file_count(fmt, len(items))
    per_file = fmt.per_file or max(len(items), 1)
    buffers: list[io.StringIO] = []
    writer: CsvDictWriter | None = None
    for index, item in enumerate(progress(items)):
        if index % per_file == 0:
            buffers.append(io.StringIO())
            writer = CsvDictWriter(buffers[-1], fmt.columns)
            writer.writeheader()
        assert writer is not None
        for row in fmt.rows(item, settings):
            writer.writerow(row)
    if not buffers:
        buffers.append(io.StringIO())
        CsvDictWriter(buffers[-1], fmt.columns).writeheader()
    name = f"{fmt.slug}-{stamp}"
    if total == 1:
        return Download(f"{name}.csv", "text/csv; charset=utf-8", buffers[0].getvalue().encode(), 1)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for number, buffer in enumerate(buffers, start=1):
            zf.writestr(f"{name}-{number}-of-{total}.csv", buffer.getvalue())
    return Download(f"{name}.zip", "application/zip", archive.getvalue(), total)
