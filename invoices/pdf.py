"""The invoice as a PDF: WeasyPrint renders the same document template as the public page."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

from quotes.pdf import portal_logo_data_uri

from .models import Invoice


def render_invoice_html(invoice: Invoice) -> str:
    from .selectors import invoice_document

    return render_to_string(
        "invoices/pdf.html",
        {
            "doc": invoice_document(invoice),
            "portal": invoice.portal,
            "logo_src": portal_logo_data_uri(invoice.portal),
            "site_url": settings.SITE_URL,
        },
    )


def render_invoice_pdf(invoice: Invoice) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_invoice_html(invoice), base_url=str(settings.BASE_DIR)).write_pdf()
