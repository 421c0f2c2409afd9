"""E-mail of invoices: the link to the buyer's page and sending (PDF attached)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from commerce.notifications import send_templated_email
from commerce.portals.models import User

from .models import UNPAID_STATUSES, Invoice, InvoiceEvent, InvoiceStatus
from .services import InvoiceError, _event, _lock, _refuse


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


SENDABLE = [*UNPAID_STATUSES, InvoiceStatus.PAID]


@transaction.atomic
def invoice_send(*, invoice: Invoice, actor: User | None, message: str = "") -> Invoice:
    """E-mails a finalized invoice to its contact (HTML + text, link to the invoice page,
    PDF attached) after commit, and records when. Sending again is a resend."""
    from .pdf import render_invoice_pdf

    locked = _lock(invoice)
    if locked.status == InvoiceStatus.DRAFT:
        raise InvoiceError("Finalize the invoice before sending it.")
    _refuse(locked, SENDABLE, "sent")
    contact = locked.contact
    if contact is None:  # finalizing requires one; kept for type checkers
        raise InvoiceError("The invoice has no contact to send it to.")
    resend = locked.sent_at is not None
    send_templated_email(
        to=[contact.email],
        template="invoice_sent",
        context=email_context(locked, message=message.strip(), sender=actor),
        reply_to=(actor.email if actor else None) or locked.portal.support_email or None,
        attachments=[
            (f"{locked.display_number}.pdf", render_invoice_pdf(locked), "application/pdf")
        ],
    )
    locked.sent_at = timezone.now()
    locked.save(update_fields=["sent_at"])
    _event(
        locked,
        InvoiceEvent.Kind.SENT,
        actor=actor,
        detail=f"{'Sent again' if resend else 'Sent'} to {contact.email}",
    )
    return locked
