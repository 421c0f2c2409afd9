"""The invoice PDF is rendered by the mail task after commit, not under the row lock."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from weasyprint import HTML

from invoices import emails
from invoices.kind import InvoiceError

# Real transactions: "after commit" must mean what it means in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pdf_renders_in_a_transaction(monkeypatch):
    """For each PDF rendered, whether a transaction (and so the row lock) was open."""
    seen: list[bool] = []
    write_pdf = HTML.write_pdf

    def recording_write_pdf(self, *args, **kwargs):
        seen.append(transaction.get_connection().in_atomic_block)
        return write_pdf(self, *args, **kwargs)

    monkeypatch.setattr(HTML, "write_pdf", recording_write_pdf)
    return seen


def test_the_invoice_pdf_is_rendered_after_the_send_commits(
    make_invoice, pdf_renders_in_a_transaction
):
    invoice = make_invoice(finalize=True)

    emails.invoice_send(invoice=invoice, actor=None)

    assert pdf_renders_in_a_transaction == [False]
    [sent] = mail.outbox
    name, content, mimetype = sent.attachments[0]
    assert (name, mimetype) == (f"{invoice.display_number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")


def test_a_send_that_fails_renders_no_pdf_and_mails_nothing(
    make_invoice, pdf_renders_in_a_transaction
):
    with pytest.raises(InvoiceError):
        emails.invoice_send(invoice=make_invoice(), actor=None)  # a draft

    assert pdf_renders_in_a_transaction == []
    assert mail.outbox == []
