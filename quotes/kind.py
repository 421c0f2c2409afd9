"""Quotes in the documents core (commerce.documents.kinds): their models, their error,
their transitions and their discount on the whole quote. Everything else a quote does
like an invoice is the core's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from commerce import pricing
from commerce.documents.kinds import DocumentKind, Transition
from commerce.documents.lines import DocumentError

from .models import Quote, QuoteSettings, QuoteStatus
from .pricing import QuoteDiscountError, QuoteTotals, compute_quote


class QuoteError(DocumentError):
    """An action the quote's state or content does not allow; safe to show a person."""


class QuoteKind(DocumentKind[Quote, QuoteTotals]):
    model = Quote
    settings_model = QuoteSettings
    error = QuoteError
    noun = "quote"
    # A status change is an update: the events' snapshots say when.
    touched = ("updated_at",)
    # The buyer's answers (accept, decline) and the expiry sweep check the expiry date
    # as well: see quotes.services.
    transitions = {
        "edit": Transition((QuoteStatus.DRAFT,), "edited; revert it to draft first"),
        "publish": Transition((QuoteStatus.DRAFT,), "published"),
        "revert": Transition(
            (QuoteStatus.PUBLISHED, QuoteStatus.DECLINED, QuoteStatus.EXPIRED),
            "reverted to draft",
        ),
        "send": Transition((QuoteStatus.PUBLISHED,), "sent (publish it first)"),
        "expire": Transition((QuoteStatus.PUBLISHED,), "expired"),
        "mark_paid": Transition((QuoteStatus.ACCEPTED,), "marked paid"),
    }

    def compute(self, lines: Sequence[pricing.Line], **terms: Any) -> QuoteTotals:
        try:
            return compute_quote(lines, **terms)
        except QuoteDiscountError as exc:
            raise QuoteError(str(exc)) from None

    def pricing_terms(self, document: Quote) -> dict[str, Any]:
        return {
            "discount_percent": document.discount_percent,
            "discount_amount": document.discount_amount,
            "currency": document.currency,
        }


QUOTES = QuoteKind()
