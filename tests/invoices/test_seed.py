"""`seed_demo` adds a draft, an open and a manually paid invoice, once."""

import io

import pytest
from django.core.management import call_command

from invoices.models import Invoice, InvoiceStatus

pytestmark = pytest.mark.django_db


def test_demo_seed_adds_three_invoices_idempotently():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    statuses = sorted(Invoice.objects.values_list("status", flat=True))
    assert statuses == [InvoiceStatus.DRAFT, InvoiceStatus.OPEN, InvoiceStatus.PAID]
    assert sorted(Invoice.objects.exclude(number=None).values_list("number", flat=True)) == [1, 2]
    paid = Invoice.objects.get(status=InvoiceStatus.PAID)
    assert paid.payments.get().method == "bank_transfer" and paid.amount_due == 0
