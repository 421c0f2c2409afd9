"""Demo invoices for the demo portal: one draft, one open, one paid by bank transfer.

Made through the invoice services, as the hub makes them; idempotent (a portal that
already has invoices gets none). Also a command of its own: `manage.py seed_demo_invoices`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from commerce.catalog.models import Product
from commerce.customers.models import Contact
from commerce.portals.models import Portal, User
from invoices import services
from invoices.models import Invoice
from quotes.services import LineInput


def _line(product: Product, quantity: int = 1, **kw) -> LineInput:
    return LineInput(
        product=product,
        name=product.name,
        sku=product.sku,
        description=product.description,
        quantity=quantity,
        unit_amount=product.unit_price,
        **kw,
    )


def demo_seed_invoices(portal: Portal) -> int:
    """Creates the demo invoices unless the portal has invoices; returns how many."""
    if Invoice.objects.filter(portal=portal).exists():
        return 0
    products = {p.sku: p for p in Product.objects.filter(portal=portal)}
    contacts = list(Contact.objects.filter(portal=portal).order_by("email"))
    if len(contacts) < 3 or not {"SVC-ONBOARD", "SVC-IMPL", "HW-SCAN-01"} <= products.keys():
        return 0
    actor = User.objects.filter(email="billing@example.com").first()
    today = services.portal_today(portal)
    services.invoice_settings_update(
        portal=portal,
        prefix="NW-",
        default_memo="Bank transfer: Northwind Supply Co., account 000123456, routing 021000021.",
    )
    memo = services.invoice_settings_for(portal=portal).default_memo
    services.invoice_create(
        portal=portal,
        actor=actor,
        contact=contacts[0],
        issue_date=today,
        payment_terms="net_15",
        lines=[_line(products["HW-SCAN-01"], 4, tax_rate=Decimal("8.25"))],
        memo=memo,
    )
    # Numbered in the order they were issued, as a seller numbers them: NW-0001 first.
    paid = services.invoice_create(
        portal=portal,
        actor=actor,
        contact=contacts[2],
        issue_date=today - dt.timedelta(days=20),
        payment_terms="due_on_receipt",
        lines=[_line(products["SVC-ONBOARD"])],
        memo=memo,
    )
    paid = services.invoice_finalize(invoice=paid, actor=actor)
    services.invoice_record_payment(
        invoice=paid,
        actor=actor,
        method="bank_transfer",
        amount=paid.total,
        paid_on=today - dt.timedelta(days=18),
        reference="WIRE 88231",
    )
    open_invoice = services.invoice_create(
        portal=portal,
        actor=actor,
        contact=contacts[1],
        issue_date=today - dt.timedelta(days=10),
        payment_terms="net_30",
        lines=[
            _line(products["SVC-IMPL"], discount_percent=Decimal(10)),
            _line(products["SVC-ONBOARD"], 2),
        ],
        memo=memo,
    )
    services.invoice_finalize(invoice=open_invoice, actor=actor)
    return 3
