"""A line as an editor submits it (`LineInput`), the checks that refuse it with words for
a person, and the copy of a document's lines onto another document."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from commerce import money
from commerce.catalog.models import BillingFrequency, Product, is_recurring

HUNDRED = Decimal(100)
MAX_LINES = 200
MAX_QUANTITY = 100_000


class DocumentError(Exception):
    """An action the document's state or content does not allow; safe to show a person.
    Each kind of document raises its own subclass (QuoteError, InvoiceError)."""


@dataclass(frozen=True)
class LineInput:
    """One line as the editor submits it (already parsed: cents, Decimals)."""

    name: str
    quantity: int
    unit_amount: int
    product: Product | None = None
    sku: str = ""
    description: str = ""
    discount_percent: Decimal | None = None
    discount_amount: int | None = None
    tax_rate: Decimal = Decimal(0)
    billing_frequency: str = BillingFrequency.ONE_TIME
    term_periods: int | None = None

    @classmethod
    def copy_of(cls, line: Any) -> LineInput:
        """The input that writes `line` (a stored line of any document) again."""
        return cls(
            product=line.product,
            name=line.name,
            sku=line.sku,
            description=line.description,
            quantity=line.quantity,
            unit_amount=line.unit_amount,
            discount_percent=line.discount_percent,
            discount_amount=line.discount_amount,
            tax_rate=line.tax_rate,
            billing_frequency=line.billing_frequency,
            term_periods=line.term_periods,
        )

    def snapshot(self) -> dict[str, Any]:
        """The line's fields as a document line (QuoteLine, InvoiceLine) stores them."""
        return {
            "product": self.product,
            "name": self.name.strip()[:200],
            "sku": self.sku,
            "description": self.description,
            "quantity": self.quantity,
            "unit_amount": self.unit_amount,
            "discount_percent": self.discount_percent,
            "discount_amount": self.discount_amount,
            "tax_rate": self.tax_rate,
            "billing_frequency": self.billing_frequency,
            "term_periods": self.term_periods or None,
        }


def copy_lines(lines: Iterable[Any]) -> list[LineInput]:
    return [LineInput.copy_of(line) for line in lines]


def check_line(
    line: LineInput, *, label: str = "A line", error: type[DocumentError] = DocumentError
) -> None:
    """Refuses what the totals engine would silently cap or accept: messages for people."""
    if line.quantity < 0:
        raise error(f"{label}: the quantity cannot be negative.")
    if line.quantity == 0:
        raise error(f"{label}: the quantity must be at least 1.")
    if line.quantity > MAX_QUANTITY:
        raise error(f"{label}: the quantity can be at most {MAX_QUANTITY:,}.")
    if line.unit_amount < 0:
        raise error(f"{label}: the unit price cannot be negative.")
    if line.unit_amount > money.MAX_AMOUNT_CENTS:
        raise error(
            f"{label}: the unit price cannot be more than "
            f"{money.format_cents(money.MAX_AMOUNT_CENTS)}."
        )
    if line.discount_percent is not None and not (0 <= line.discount_percent <= HUNDRED):
        raise error(f"{label}: a discount must be between 0% and 100%.")
    if line.discount_amount is not None:
        if line.discount_amount < 0:
            raise error(f"{label}: a discount cannot be negative.")
        if line.discount_amount > line.quantity * line.unit_amount:
            raise error(
                f"{label}: the discount ({money.format_cents(line.discount_amount)}) is more "
                f"than the line amount ({money.format_cents(line.quantity * line.unit_amount)})."
            )
    if not (0 <= line.tax_rate <= HUNDRED):
        raise error(f"{label}: a tax rate must be between 0% and 100%.")
    if not is_recurring(line.billing_frequency) and line.term_periods:
        raise error(f"{label}: a one-time line has no term.")
    if not line.name.strip():
        raise error(f"{label}: give the line a name.")
