"""Builders for invoice tests: invoices are made through the services, as the hub makes them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoices import services
from tests.factories import ContactFactory
from tests.support import line


@pytest.fixture
def contact(portal):
    return ContactFactory(
        portal=portal, email="buyer@client.test", first_name="Bea", last_name="Buyer"
    )


@pytest.fixture
def make_invoice(portal, contact):
    def make(*, lines=None, finalize=False, target_portal=None, **kwargs):
        target = target_portal or portal
        invoice = services.invoice_create(
            portal=target,
            actor=None,
            contact=kwargs.pop("contact", contact if target == portal else None),
            issue_date=kwargs.pop("issue_date", services.portal_today(target)),
            lines=lines if lines is not None else [line(tax_rate=Decimal("10"))],
            **kwargs,
        )
        if finalize:
            if invoice.contact is None:
                invoice = services.invoice_update(
                    invoice=invoice,
                    actor=None,
                    contact=ContactFactory(portal=target),
                    issue_date=invoice.issue_date,
                    payment_terms=invoice.payment_terms,
                    due_date=invoice.due_date,
                    lines=lines if lines is not None else [line(tax_rate=Decimal("10"))],
                )
            invoice = services.invoice_finalize(invoice=invoice, actor=None)
        return invoice

    return make
