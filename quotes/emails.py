"""Sending a quote to its buyer: HTML and text, the link to the quote page, the PDF."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from commerce.notifications import send_templated_email
from commerce.portals.models import User

from .models import Quote, QuoteEvent, QuoteStatus
from .services import QuoteError, _event, _lock, _refuse, public_url, quote_totals


@transaction.atomic
def quote_send(*, quote: Quote, actor: User | None, message: str = "") -> Quote:
    """E-mails a published quote to its contact (HTML + text, link, PDF attached),
    after commit. Records when it was sent."""
    from .pdf import render_quote_pdf

    locked = _lock(quote)
    _refuse(locked, [QuoteStatus.PUBLISHED], "sent (publish it first)")
    contact = locked.contact
    if contact is None:  # publishing requires one; kept for type checkers
        raise QuoteError("The quote has no contact to send it to.")
    pdf = render_quote_pdf(locked)
    send_templated_email(
        to=[contact.email],
        template="quote_sent",
        context={
            "portal": locked.portal,
            "quote": locked,
            "contact": contact,
            "message": message.strip(),
            "sender": actor,
            "totals": quote_totals(locked),
            "site_url": settings.SITE_URL,
            "url": public_url(locked),
        },
        reply_to=(actor.email if actor else None) or locked.portal.support_email or None,
        attachments=[(f"{locked.display_number}.pdf", pdf, "application/pdf")],
    )
    locked.sent_at = timezone.now()
    locked.save(update_fields=["sent_at"])
    _event(locked, QuoteEvent.Kind.SENT, actor=actor, detail=f"To {contact.email}")
    return locked
