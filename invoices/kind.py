"""Invoices in the documents core (commerce.documents.kinds): their models, their error,
their transitions, their number prefix and their one-time lines. Everything else an
invoice does like a quote is the core's."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from commerce.catalog.models import BillingFrequency
from commerce.documents.kinds import DocumentKind, Transition
from commerce.documents.lines import DocumentError, LineInput
from commerce.documents.pricing import DocumentTotals

from .models import UNPAID_STATUSES, Invoice, InvoiceSettings, InvoiceStatus


class InvoiceError(DocumentError):
    """An action the invoice's state or content does not allow; safe to show a person."""


DRAFT = InvoiceStatus.DRAFT
# Statuses from which an invoice may be voided.
PAYABLE = (*UNPAID_STATUSES, InvoiceStatus.UNCOLLECTIBLE)


class InvoiceKind(DocumentKind[Invoice, DocumentTotals]):
    model = Invoice
    settings_model = InvoiceSettings
    error = InvoiceError
    noun = "invoice"
    article = "An"
    lock_of = ("self",)
    lock_related = ("portal", "contact")
    touched = ("updated_at",)
    sent_event = "invoice.sent"
    # Payments move an invoice between open, partially paid, past due and paid
    # (invoices.services.status_from_amounts); these are the actions a person takes.
    transitions = {
        "edit": Transition((DRAFT,), "edited once finalized"),
        "finalize": Transition((DRAFT,), "finalized again"),
        "send": Transition(
            (*UNPAID_STATUSES, InvoiceStatus.PAID),
            "sent",
            {DRAFT: "Finalize the invoice before sending it."},
        ),
        # A written-off or void invoice takes no money, by hand or online.
        "record_payment": Transition(
            tuple(UNPAID_STATUSES),
            "paid",
            {
                DRAFT: "Finalize the invoice before recording a payment.",
                InvoiceStatus.UNCOLLECTIBLE: "This invoice is marked uncollectible, so it "
                "takes no more payments. To bill for money received after all, void it "
                "and record the payment on a duplicate.",
            },
        ),
        "void": Transition(
            PAYABLE,
            "voided",
            {DRAFT: "A draft has no number yet: edit it instead of voiding it."},
        ),
        "mark_uncollectible": Transition(tuple(UNPAID_STATUSES), "marked uncollectible"),
        "mark_past_due": Transition(
            (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID), "marked past due"
        ),
    }

    def sent_detail(self, email: str, *, sent_before: bool) -> str:
        return f"{'Sent again' if sent_before else 'Sent'} to {email}"

    def number_prefix(self, kind_settings: Any) -> str:
        return kind_settings.prefix

    def line_for(self, line: LineInput) -> LineInput:
        """An invoice bills once: a recurring product is billed for one period."""
        return replace(line, billing_frequency=BillingFrequency.ONE_TIME, term_periods=None)

    def keep_totals(self, document: Invoice, totals: DocumentTotals) -> None:
        """Lists, aggregates and exports read the stored totals."""
        document.subtotal = totals.subtotal
        document.discount_total = totals.discount
        document.tax_total = totals.tax
        document.total = totals.total
        document.save(
            update_fields=["subtotal", "discount_total", "tax_total", "total", "updated_at"]
        )


INVOICES = InvoiceKind()
