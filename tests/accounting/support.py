"""Books of a portal for the accounting tests (imported, not collected)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from django.db.models import Max

from commerce.documents.kinds import portal_today
from invoices import services
from invoices.models import Invoice, InvoiceLine, InvoiceStatus
from tests.factories import ContactFactory
from tests.support import line


def parse(text: str | bytes) -> list[dict[str, str]]:
    if isinstance(text, bytes):
        text = text.decode()
    return list(csv.DictReader(io.StringIO(text, newline="")))


def issue(portal, contact, lines, *, issue_date=None, memo="") -> Invoice:
    invoice = services.invoice_create(
        portal=portal,
        actor=None,
        contact=contact,
        issue_date=issue_date or portal_today(portal),
        lines=lines,
        memo=memo,
    )
    return services.invoice_finalize(invoice=invoice, actor=None)


def books(portal):
    """Hand-computed books:

    A (Globex): Consulting 3 x 150.00 = 450.00 less 10% (45.00), taxed 8.25% on 405.00
    = 33.41; Hosting 1 x 19.99; Setup 2 x 12.50 = 25.00 less 5.00. Subtotal 494.99,
    discounts 50.00, tax 33.41, total 478.40.
    B (Initech): Audit 1 x 1,000.00, 400.00 paid by cheque.
    A draft and a void invoice, which the exports leave out by default.
    """
    globex = ContactFactory(
        portal=portal,
        company="Globex",
        email="ap@globex.test",
        billing_line1="1 Main St",
        billing_city="Springfield",
        billing_state="OR",
        billing_postal_code="97477",
    )
    initech = ContactFactory(portal=portal, company="Initech", email="ap@initech.test")
    a = issue(
        portal,
        globex,
        [
            line(
                name="Consulting",
                quantity=3,
                unit_amount=15_000,
                discount_percent=Decimal(10),
                tax_rate=Decimal("8.25"),
                description="Strategy workshop",
            ),
            line(name="Hosting", unit_amount=1_999),
            line(name="Setup", quantity=2, unit_amount=1_250, discount_amount=500),
        ],
        memo="Thank you",
    )
    b = issue(portal, initech, [line(name="Audit", unit_amount=100_000)])
    services.invoice_record_payment(
        invoice=b, actor=None, method="cheque", amount=40_000, paid_on=b.issue_date,
        reference="CHQ 7",
    )  # fmt: skip
    services.invoice_create(
        portal=portal, actor=None, contact=initech, issue_date=b.issue_date,
        lines=[line(name="Draft work")],
    )  # fmt: skip
    void = issue(portal, initech, [line(name="Cancelled work")])
    services.invoice_void(invoice=void, actor=None)
    a.refresh_from_db()
    b.refresh_from_db()
    return a, b


def bulk_invoices(portal, count: int) -> None:
    """`count` finalized one-line invoices of $10.00 each, in two INSERTs."""
    contact = ContactFactory(portal=portal, company="Bulk Buyer")
    today = portal_today(portal)
    start = Invoice.objects.filter(portal=portal).aggregate(last=Max("number"))["last"] or 0
    invoices = Invoice.objects.bulk_create(
        Invoice(
            portal=portal,
            contact=contact,
            status=InvoiceStatus.OPEN,
            number=start + n,
            number_prefix="INV-",
            issue_date=today,
            due_date=today + dt.timedelta(days=30),
            subtotal=1_000,
            total=1_000,
        )
        for n in range(1, count + 1)
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(invoice=invoice, name=f"Item {invoice.number}", quantity=1, unit_amount=1_000)
        for invoice in invoices
    )
