"""The invoice as a PDF: the documents core renders the same document template as the
public page."""

from __future__ import annotations

from django.conf import settings

from commerce.documents.pdf import document_html, html_to_pdf

from .models import Invoice
from .selectors import invoice_document


def render_invoice_html(invoice: Invoice) -> str:
    return document_html(
        "invoices/pdf.html",
        portal=invoice.portal,
        doc=invoice_document(invoice),
        site_url=settings.SITE_URL,
    )


def render_invoice_pdf(invoice: Invoice) -> bytes:
    return html_to_pdf(render_invoice_html(invoice))
