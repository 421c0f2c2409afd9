"""A draft invoice has no number yet: its heading says "Draft invoice", never
"Invoice Draft invoice", on its page and in its PDF."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from invoices.pdf import render_invoice_pdf

pytestmark = pytest.mark.django_db


def heading(page: str) -> str:
    [title] = re.findall(r'<h1 class="doc-title">(.*?)</h1>', page, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", title).split())


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_drafts_heading_reads_draft_invoice(rep_client, make_invoice):
    invoice = make_invoice()

    page = rep_client.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()

    assert heading(page) == "Draft invoice"
    assert "Invoice Draft invoice" not in pdf_text(render_invoice_pdf(invoice))
    assert "Draft invoice" in pdf_text(render_invoice_pdf(invoice))


def test_a_finalized_invoices_heading_reads_invoice_and_its_number(rep_client, make_invoice):
    invoice = make_invoice(finalize=True)

    page = rep_client.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()

    assert heading(page) == f"Invoice {invoice.display_number}"
    assert f"Invoice {invoice.display_number}" in pdf_text(render_invoice_pdf(invoice))
