"""CSV export of invoices and of their payments, for accounting. Amounts are dollars
with two decimals (`money.to_decimal`, written as numbers), dates ISO 8601; README.md
lists the columns. Written by the hub's one CSV writer (`commerce.csv`), which keeps text
cells from running as spreadsheet formulas."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import IO, Any

from commerce import money
from commerce.csv import Cell, CsvDictWriter

from .models import Invoice, InvoicePayment

INVOICE_COLUMNS = [
    "number",
    "status",
    "contact_name",
    "contact_email",
    "company",
    "issue_date",
    "due_date",
    "payment_terms",
    "currency",
    "subtotal",
    "discount",
    "tax",
    "total",
    "amount_paid",
    "amount_due",
    "finalized_at",
    "paid_at",
    "source_quote",
]

PAYMENT_COLUMNS = [
    "invoice_number",
    "invoice_status",
    "contact_email",
    "paid_on",
    "method",
    "amount",
    "currency",
    "reference",
    "stripe_payment_intent",
    "recorded_at",
]


def _amount(cents: int, currency: str) -> Decimal:
    return money.to_decimal(cents, currency)


def _when(value: Any) -> str:
    return value.isoformat() if value else ""


def invoice_row(invoice: Invoice) -> dict[str, Cell]:
    contact = invoice.contact
    c = invoice.currency
    return {
        "number": invoice.display_number if invoice.number is not None else "",
        "status": invoice.status,
        "contact_name": contact.full_name if contact else "",
        "contact_email": contact.email if contact else "",
        "company": contact.company if contact else "",
        "issue_date": _when(invoice.issue_date),
        "due_date": _when(invoice.due_date),
        "payment_terms": invoice.payment_terms,
        "currency": c.upper(),
        "subtotal": _amount(invoice.subtotal, c),
        "discount": _amount(invoice.discount_total, c),
        "tax": _amount(invoice.tax_total, c),
        "total": _amount(invoice.total, c),
        "amount_paid": _amount(invoice.amount_paid, c),
        "amount_due": _amount(invoice.amount_due, c),
        "finalized_at": _when(invoice.finalized_at),
        "paid_at": _when(invoice.paid_at),
        "source_quote": invoice.source_quote.display_number if invoice.source_quote else "",
    }


def payment_row(payment: InvoicePayment) -> dict[str, Cell]:
    invoice = payment.invoice
    c = invoice.currency
    return {
        "invoice_number": invoice.display_number,
        "invoice_status": invoice.status,
        "contact_email": invoice.contact.email if invoice.contact else "",
        "paid_on": _when(payment.paid_on),
        "method": payment.method,
        "amount": _amount(payment.amount, c),
        "currency": c.upper(),
        "reference": payment.reference,
        "stripe_payment_intent": payment.payment.payment_intent_id if payment.payment else "",
        "recorded_at": _when(payment.created_at),
    }


def _write(rows: Iterable[Any], fh: IO[str], columns: list[str], to_row: Callable) -> int:
    writer = CsvDictWriter(fh, columns)
    writer.writeheader()
    count = 0
    for item in rows:
        writer.writerow(to_row(item))
        count += 1
    return count


def write_invoices_csv(invoices: Iterable[Invoice], fh: IO[str]) -> int:
    return _write(invoices, fh, INVOICE_COLUMNS, invoice_row)


def write_payments_csv(payments: Iterable[InvoicePayment], fh: IO[str]) -> int:
    return _write(payments, fh, PAYMENT_COLUMNS, payment_row)
