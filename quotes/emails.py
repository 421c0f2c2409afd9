"""Sending a quote to its buyer: HTML and text, the link to the quote page, the PDF."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from commerce.documents.pdf import pdf_attachment
from commerce.portals.models import User

from .kind import QUOTES
from .models import Quote
from .pdf import render_quote_pdf
from .services import public_url, quote_totals

# The kind under which QuotesConfig.ready() registers `quote_pdf_attachment`.
PDF_ATTACHMENT = QUOTES.pdf_attachment


# The PDF of a sent quote, rendered by the mail task after `quote_send` has committed.
quote_pdf_attachment = pdf_attachment(Quote, render_quote_pdf)


@transaction.atomic
def quote_send(*, quote: Quote, actor: User | None, message: str = "") -> Quote:
    """E-mails a published quote to its contact (HTML + text, link, PDF attached),
    after commit. Records when it was sent. Locks the quote; the PDF is rendered by the
    mail task, after commit."""
    return QUOTES.send(
        quote,
        actor=actor,
        template="quote_sent",
        context=lambda locked: {
            "portal": locked.portal,
            "quote": locked,
            "contact": locked.contact,
            "message": message.strip(),
            "sender": actor,
            "totals": quote_totals(locked),
            "site_url": settings.SITE_URL,
            "url": public_url(locked),
        },
    )
