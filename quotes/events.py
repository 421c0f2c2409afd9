"""The quote as events and webhooks show it (registered in QuotesConfig.ready()).

Its lines come from the service, loaded in the change's transaction
(`QUOTES.record_event`): the snapshot reads no table. The totals are the quote page's:
`total` is what is due today (one-time lines and the first period of recurring ones),
after the line and quote discounts and tax.
"""

from __future__ import annotations

from typing import Any

from commerce.documents.events import iso, lines_snapshot, percent
from commerce.documents.lines import DocumentError

from .kind import QUOTES
from .models import Quote


def quote_snapshot(quote: Quote) -> dict[str, Any]:
    lines = list(quote.lines.all())
    try:
        totals = QUOTES.totals(quote, lines)
        amounts: dict[str, int | None] = {
            "subtotal": totals.subtotal,
            "discount": totals.discount,
            "tax": totals.tax,
            "total": totals.total,
        }
    except DocumentError:  # only a draft can have lines that do not price
        amounts = dict.fromkeys(("subtotal", "discount", "tax", "total"))
    return {
        "id": str(quote.pk),
        "object": "quote",
        "number": quote.display_number,
        "title": quote.title,
        "status": quote.status,
        "contact": str(quote.contact_id) if quote.contact_id else None,
        "lines": lines_snapshot(lines),
        "discount_percent": percent(quote.discount_percent),
        "discount_amount": quote.discount_amount,
        **amounts,
        "currency": quote.currency,
        "expires_on": iso(quote.expires_on),
        "requires_payment": quote.requires_payment,
        "terms": quote.terms,
        "comments": quote.comments,
        "accepted_by": quote.accepted_name,
        "decline_reason": quote.decline_reason,
        "payment": str(quote.payment_id) if quote.payment_id else None,
        "status_transitions": {
            "published": iso(quote.published_at),
            "accepted": iso(quote.accepted_at),
            "declined": iso(quote.declined_at),
            "expired": iso(quote.expired_at),
            "paid": iso(quote.paid_at),
        },
        "created": iso(quote.created_at),
        "updated": iso(quote.updated_at),
    }
