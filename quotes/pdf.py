"""The quote as a PDF: the documents core renders the same document template as the
public page."""

from __future__ import annotations

from commerce.documents.pdf import document_html, html_to_pdf

from .models import Quote
from .selectors import quote_document


def render_quote_html(quote: Quote) -> str:
    return document_html("quotes/pdf.html", portal=quote.portal, doc=quote_document(quote))


def render_quote_pdf(quote: Quote) -> bytes:
    return html_to_pdf(render_quote_html(quote))
