"""The quote as a PDF: WeasyPrint renders the same document template as the public page."""

from __future__ import annotations

import base64

from django.conf import settings
from django.template.loader import render_to_string

from commerce.portals.models import Portal

from .models import Quote


def portal_logo_data_uri(portal: Portal) -> str:
    """The portal's logo inlined for WeasyPrint (quote and invoice PDFs)."""
    if not portal.has_logo or not portal.logo:
        return ""
    return f"data:{portal.logo_content_type};base64,{base64.b64encode(bytes(portal.logo)).decode()}"


def logo_data_uri(quote: Quote) -> str:
    return portal_logo_data_uri(quote.portal)


def render_quote_html(quote: Quote) -> str:
    from .selectors import quote_document

    return render_to_string(
        "quotes/pdf.html",
        {"doc": quote_document(quote), "portal": quote.portal, "logo_src": logo_data_uri(quote)},
    )


def render_quote_pdf(quote: Quote) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_quote_html(quote), base_url=str(settings.BASE_DIR)).write_pdf()
