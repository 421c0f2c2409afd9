"""Quote totals: `commerce.documents` prices the lines; this adds the quote-level discount.

The quote-level discount (a percent or an amount) applies to what is left after the
line discounts. It is spread over the lines in proportion to their discounted amounts
with `money.allocate` (largest remainder: the shares add up to the discount exactly),
folded into each line's discount amount, and the lines are priced again, so tax is
charged on the amount after every discount. On a recurring line the share recurs with
every period, like the line's own discount.

Rounding (all in `commerce.money`): percentages round to the cent, halves away from
zero, per line; allocation never gains or loses a cent. Hence, for every quote:

    total = subtotal - line discounts - quote discount + tax, and total ≥ 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import ClassVar

from commerce import money, pricing
from commerce.documents.pricing import DocumentTotals, line_amounts, net_amounts

HUNDRED = Decimal(100)


class QuoteDiscountError(ValueError):
    """A quote-level discount that cannot apply; the message can be shown to a person."""


@dataclass(frozen=True)
class QuoteTotals(DocumentTotals):
    quote_discount: int = 0
    quote_discount_percent: Decimal | None = None

    discount_label: ClassVar[str] = "Quote discount"

    @property
    def document_discount(self) -> int:
        return self.quote_discount

    @property
    def document_discount_label(self) -> str:
        if self.quote_discount_percent is None:
            return self.discount_label
        return f"{self.discount_label} ({self.quote_discount_percent.normalize():f}%)"


def compute_quote(
    lines: Sequence[pricing.Line],
    *,
    discount_percent: Decimal | None = None,
    discount_amount: int | None = None,
    currency: str = money.DEFAULT_CURRENCY,
) -> QuoteTotals:
    """Prices `lines` and applies the quote-level discount. Raises QuoteDiscountError for a
    discount above 100 % or above what is left after the line discounts."""
    if discount_percent is not None and discount_amount is not None:
        raise QuoteDiscountError("Give the quote discount in percent or as an amount, not both.")
    first = pricing.compute(lines, currency)
    line_discount = first.discount
    net = net_amounts(first)
    if discount_percent is not None:
        if not (Decimal(0) <= discount_percent <= HUNDRED):
            raise QuoteDiscountError("The quote discount must be between 0% and 100%.")
        quote_discount = money.percent_of(sum(net), discount_percent)
    elif discount_amount is not None:
        if discount_amount < 0:
            raise QuoteDiscountError("The quote discount cannot be negative.")
        if discount_amount > sum(net):
            raise QuoteDiscountError(
                "The quote discount cannot be more than the quote's amount after line "
                f"discounts ({money.format_cents(sum(net), currency)})."
            )
        quote_discount = discount_amount
    else:
        quote_discount = 0
    if not quote_discount:
        return QuoteTotals(
            totals=first,
            line_discount=line_discount,
            quote_discount=0,
            line_amounts=line_amounts(first),
            line_discounts=tuple(p.discount for p in first.lines),
        )
    shares = money.allocate(quote_discount, list(net))
    discounted = [
        replace(p.line, discount_percent=None, discount_amount=p.discount + share)
        for p, share in zip(first.lines, shares, strict=True)
    ]
    return QuoteTotals(
        totals=pricing.compute(discounted, currency),
        line_discount=line_discount,
        quote_discount=quote_discount,
        quote_discount_percent=discount_percent,
        line_amounts=line_amounts(first),
        line_discounts=tuple(p.discount for p in first.lines),
    )
