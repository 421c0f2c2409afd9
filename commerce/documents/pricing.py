"""A document's totals: `commerce.pricing` prices the lines; this keeps what a document
shows besides (the lines' own discounts, each line's amount, the rows under the lines,
all as `commerce.pricing.summary_rows` presents them everywhere) and turns a pricing
refusal into the document's own error.

A kind with a discount on the whole document (quotes) subclasses `DocumentTotals` and
overrides `DocumentKind.compute` (see quotes.pricing)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from commerce import money, pricing


@dataclass(frozen=True)
class DocumentTotals:
    totals: pricing.Totals  # the lines priced (with their share of any document discount)
    line_discount: int  # the lines' own discounts
    # Per line, quantity x unit price: what a document shows in its "Amount" column, as
    # the checkout and the receipt do (discounts and tax are rows below the lines).
    line_amounts: tuple[int, ...] = ()
    line_discounts: tuple[int, ...] = ()  # per line, its own discount

    # How the totals name a discount on the whole document ("Quote discount").
    discount_label: ClassVar[str] = "Discount"

    @property
    def document_discount(self) -> int:
        """A discount on the whole document, after the line discounts; none by default."""
        return 0

    @property
    def document_discount_label(self) -> str:
        """The row of the discount on the whole document ("Quote discount (10%)")."""
        return self.discount_label

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

    @property
    def over_card_limit(self) -> bool:
        """More is due today than a card can pay at once (money.CARD_LIMIT_CENTS)."""
        return money.over_card_limit(self.total)

    @property
    def card_limit(self) -> str:
        return money.format_cents(money.CARD_LIMIT_CENTS, self.currency)

    @property
    def rows(self) -> tuple[pricing.SummaryRow, ...]:
        """Subtotal, discounts, tax and total, as every page and e-mail shows them."""
        return pricing.summary_rows(
            subtotal=self.subtotal,
            discount=self.discount,
            tax=self.tax,
            total=self.total,
            document_discount=self.document_discount,
            discount_label=self.document_discount_label,
            recurring=self.has_recurring,
        )

    def frozen(self) -> dict[str, Any]:
        """The order a checkout of the document charges (`commerce.pricing.freeze`), with
        what its summary needs to show the discounts as the document does."""
        return pricing.freeze(
            self.totals,
            document_discount=self.document_discount,
            discount_label=self.document_discount_label if self.document_discount else "",
            line_discounts=self.line_discounts or None,
        )


def net_amounts(totals: pricing.Totals) -> tuple[int, ...]:
    """Each line's subtotal less its own discount."""
    return tuple(p.subtotal - p.discount for p in totals.lines)


def line_amounts(totals: pricing.Totals) -> tuple[int, ...]:
    """Each line's amount as shown: quantity x unit price."""
    return tuple(p.subtotal for p in totals.lines)


def document_totals(lines: Sequence[pricing.Line], currency: str) -> DocumentTotals:
    """Totals of `lines` with no discount on the whole document."""
    totals = pricing.compute(lines, currency)
    return DocumentTotals(
        totals=totals,
        line_discount=totals.discount,
        line_amounts=line_amounts(totals),
        line_discounts=tuple(p.discount for p in totals.lines),
    )
