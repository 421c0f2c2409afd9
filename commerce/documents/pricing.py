"""A document's totals: `commerce.pricing` prices the lines; this keeps what a document
shows besides (the lines' own discounts, each line's amount before tax) and turns a
pricing refusal into the document's own error.

A kind with a discount on the whole document (quotes) subclasses `DocumentTotals` and
overrides `DocumentKind.compute` (see quotes.pricing)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from commerce import pricing


@dataclass(frozen=True)
class DocumentTotals:
    totals: pricing.Totals  # the lines priced (with their share of any document discount)
    line_discount: int  # the lines' own discounts
    # Per line, quantity x unit price less the line's own discount: what a document shows
    # in its "Amount" column (a document discount and tax are shown below the lines).
    line_amounts: tuple[int, ...] = ()

    # How the totals name a discount on the whole document ("Quote discount").
    discount_label: ClassVar[str] = "Discount"

    @property
    def document_discount(self) -> int:
        """A discount on the whole document, after the line discounts; none by default."""
        return 0

    @property
    def lines(self) -> tuple[pricing.PricedLine, ...]:
        return self.totals.lines

    @property
    def currency(self) -> str:
        return self.totals.currency

    @property
    def subtotal(self) -> int:
        return self.totals.subtotal

    @property
    def discount(self) -> int:
        return self.totals.discount

    @property
    def tax(self) -> int:
        return self.totals.tax

    @property
    def total(self) -> int:
        return self.totals.total

    @property
    def due_today(self) -> int:
        return self.totals.due_today

    @property
    def one_time_total(self) -> int:
        return self.totals.one_time_total

    @property
    def schedules(self) -> tuple[pricing.Schedule, ...]:
        return self.totals.schedules

    @property
    def has_recurring(self) -> bool:
        return self.totals.has_recurring


def net_amounts(totals: pricing.Totals) -> tuple[int, ...]:
    """Each line's subtotal less its own discount."""
    return tuple(p.subtotal - p.discount for p in totals.lines)


def document_totals(lines: Sequence[pricing.Line], currency: str) -> DocumentTotals:
    """Totals of `lines` with no discount on the whole document."""
    totals = pricing.compute(lines, currency)
    return DocumentTotals(
        totals=totals, line_discount=totals.discount, line_amounts=net_amounts(totals)
    )
