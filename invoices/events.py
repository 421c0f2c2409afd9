"""The invoice as events and webhooks show it (registered in InvoicesConfig.ready()).

Its totals are the ones stored on the row; its lines come from the service, loaded in
the change's transaction (`INVOICES.record_event`): the snapshot reads no table.
"""

from __future__ import annotations

from typing import Any

from commerce.documents.events import iso, lines_snapshot

from .models import Invoice


def invoice_snapshot(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": str(invoice.pk),
        "object": "invoice",
        "number": invoice.display_number if invoice.number is not None else None,
        "status": invoice.status,
        "contact": str(invoice.contact_id) if invoice.contact_id else None,
        "quote": str(invoice.source_quote_id) if invoice.source_quote_id else None,
        "lines": lines_snapshot(invoice.lines.all()),
        "subtotal": invoice.subtotal,
        "discount": invoice.discount_total,
        "tax": invoice.tax_total,
        "total": invoice.total,
        "amount_paid": invoice.amount_paid,
        "amount_due": invoice.amount_due,
        "currency": invoice.currency,
        "issue_date": iso(invoice.issue_date),
        "payment_terms": invoice.payment_terms,
        "due_date": iso(invoice.due_date),
        "memo": invoice.memo,
        "sent": iso(invoice.sent_at),
        "status_transitions": {
            "finalized": iso(invoice.finalized_at),
            "paid": iso(invoice.paid_at),
            "voided": iso(invoice.voided_at),
            "marked_uncollectible": iso(invoice.uncollectible_at),
        },
        "created": iso(invoice.created_at),
        "updated": iso(invoice.updated_at),
    }
