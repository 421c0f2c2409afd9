"""E-mail of invoices: the link to the buyer's page and sending (PDF attached)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from commerce.documents.pdf import pdf_attachment
from commerce.portals.models import User

from .kind import INVOICES
from .models import Invoice
from .pdf import render_invoice_pdf

# The kind under which InvoicesConfig.ready() registers `invoice_pdf_attachment`.
PDF_ATTACHMENT = INVOICES.pdf_attachment


def public_url(invoice: Invoice) -> str:
    return settings.SITE_URL + reverse("invoices_public:invoice", args=[invoice.public_token])


def email_context(invoice: Invoice, **extra: Any) -> dict[str, Any]:
    return {
        "portal": invoice.portal,
        "invoice": invoice,
        "contact": invoice.contact,
        "site_url": settings.SITE_URL,
        "url": public_url(invoice),
        **extra,
    }


# The PDF of a sent invoice, rendered by the mail task after `invoice_send` has committed.
invoice_pdf_attachment = pdf_attachment(Invoice, render_invoice_pdf)


@transaction.atomic
def invoice_send(*, invoice: Invoice, actor: User | None, message: str = "") -> Invoice:
    """E-mails a finalized invoice to its contact (HTML + text, link to the invoice page,
    PDF attached) after commit, and records when. Sending again is a resend. Locks the
    invoice; the PDF is rendered by the mail task, after commit."""
    return INVOICES.send(
        invoice,
        actor=actor,
        template="invoice_sent",
        context=lambda locked: email_context(locked, message=message.strip(), sender=actor),
    )
