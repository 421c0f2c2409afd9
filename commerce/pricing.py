"""The totals engine: line items in, every amount of a document out, in integer cents.

Pure functions, no database: payment links, the hosted checkout, quotes and invoices
all price their lines here, so a buyer sees the same figures on every page and the
server charges exactly what it showed. Every rounding goes through `commerce.money`.

Per line:
    subtotal = quantity * unit amount
    discount = percent of the subtotal (money.percent_of), or a fixed amount capped
               at the subtotal (a discount never makes a line negative)
    tax      = tax rate percent of the discounted amount (money.percent_of)
    total    = subtotal - discount + tax

Per document: the sums of the above for the first billing period, the amount due
today (one-time lines plus the first period of every recurring line), and the
recurring schedules, one per (billing frequency, term), with their amount per period.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from commerce import money
from commerce.catalog.models import BillingFrequency, is_recurring, schedule_phrase

ZERO = Decimal(0)
HUNDRED = Decimal(100)


class PricingError(ValueError):
    """A line that cannot be priced; the message can be shown to a person."""


@dataclass(frozen=True)
class Line:
    """One line item as entered: a snapshot of a product with its own price terms."""

    name: str
    quantity: int
    unit_amount: int
    sku: str = ""
    discount_percent: Decimal | None = None
    discount_amount: int | None = None
    tax_rate: Decimal = ZERO
    billing_frequency: str = BillingFrequency.ONE_TIME
    term_periods: int | None = None
    ref: str = ""  # the source line's id, to map quantities back; not priced

    @classmethod
    def from_snapshot(cls, source: Any, *, quantity: int | None = None, ref: str = "") -> Line:
        """The line of a document's snapshot (a link line, a quote line, or a form's
        line input): one conversion for every document."""
        return cls(
            name=source.name,
            sku=source.sku,
            quantity=int(source.quantity if quantity is None else quantity),
            unit_amount=int(source.unit_amount),
            discount_percent=source.discount_percent,
            discount_amount=source.discount_amount,
            tax_rate=Decimal(source.tax_rate),
            billing_frequency=source.billing_frequency,
            term_periods=source.term_periods or None,
            ref=ref,
        )

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise TypeError("quantity must be an int")
        if isinstance(self.unit_amount, bool) or not isinstance(self.unit_amount, int):
            raise TypeError("unit_amount must be integer cents")
        if self.quantity < 0:
            raise PricingError("A quantity cannot be negative.")
        if self.unit_amount < 0:
            raise PricingError("A price cannot be negative.")
        if self.discount_percent is not None and self.discount_amount is not None:
            raise PricingError("A line has a discount in percent or an amount, not both.")
        if self.discount_percent is not None and not (ZERO <= self.discount_percent <= HUNDRED):
            raise PricingError("A discount must be between 0% and 100%.")
        if self.discount_amount is not None and self.discount_amount < 0:
            raise PricingError("A discount cannot be negative.")
        if self.tax_rate < ZERO:
            raise PricingError("A tax rate cannot be negative.")
        if not is_recurring(self.billing_frequency) and self.term_periods:
            raise PricingError("A one-time line has no term.")


@dataclass(frozen=True)
class PricedLine:
    line: Line
    subtotal: int
    discount: int
    tax: int
    total: int

    @property
    def recurring(self) -> bool:
        return is_recurring(self.line.billing_frequency)

    @property
    def schedule(self) -> str:
        """'then $50.00 every month for 12 months', '' for a one-time line."""
        if not self.recurring:
            return ""
        return then_phrase(
            self.total, self.line.billing_frequency, self.line.term_periods, currency=""
        )


@dataclass(frozen=True)
class Schedule:
    """Recurring lines sharing a billing frequency and term: one subscription."""

    billing_frequency: str
    term_periods: int | None
    amount: int  # per period, the first of which is due today
    line_indexes: tuple[int, ...]
    currency: str = money.DEFAULT_CURRENCY

    @property
    def phrase(self) -> str:
        return then_phrase(self.amount, self.billing_frequency, self.term_periods, self.currency)


@dataclass(frozen=True)
class Totals:
    lines: tuple[PricedLine, ...]
    currency: str
    subtotal: int
    discount: int
    tax: int
    total: int  # = due_today: one-time lines plus the first period of recurring lines
    one_time_total: int
    schedules: tuple[Schedule, ...] = field(default_factory=tuple)

    @property
    def due_today(self) -> int:
        return self.total

    @property
    def has_recurring(self) -> bool:
        return bool(self.schedules)


def then_phrase(amount: int, frequency: str, term_periods: int | None, currency: str) -> str:
    return f"then {money.format_cents(amount, currency or money.DEFAULT_CURRENCY)} {schedule_phrase(frequency, term_periods)}"


def price_line(line: Line) -> PricedLine:
    subtotal = line.quantity * line.unit_amount
    if line.discount_percent is not None:
        discount = money.percent_of(subtotal, line.discount_percent)
    elif line.discount_amount is not None:
        discount = line.discount_amount
    else:
        discount = 0
    discount = min(discount, subtotal)
    tax = money.percent_of(subtotal - discount, line.tax_rate) if line.tax_rate else 0
    return PricedLine(
        line=line, subtotal=subtotal, discount=discount, tax=tax, total=subtotal - discount + tax
    )


def compute(lines: Iterable[Line], currency: str = money.DEFAULT_CURRENCY) -> Totals:
    """Prices `lines` and adds them up. Schedules keep the order of their first line."""
    priced = tuple(price_line(line) for line in lines)
    groups: dict[tuple[str, int | None], list[int]] = {}
    for index, p in enumerate(priced):
        if p.recurring:
            groups.setdefault((p.line.billing_frequency, p.line.term_periods or None), []).append(
                index
            )
    schedules = tuple(
        Schedule(
            billing_frequency=frequency,
            term_periods=term,
            amount=sum(priced[i].total for i in indexes),
            line_indexes=tuple(indexes),
            currency=currency,
        )
        for (frequency, term), indexes in groups.items()
    )
    return Totals(
        lines=priced,
        currency=currency,
        subtotal=sum(p.subtotal for p in priced),
        discount=sum(p.discount for p in priced),
        tax=sum(p.tax for p in priced),
        total=sum(p.total for p in priced),
        one_time_total=sum(p.total for p in priced if not p.recurring),
        schedules=schedules,
    )


# --- The frozen order: what a Checkout stores and charges ---------------------------


def freeze(totals: Totals) -> dict[str, Any]:
    """A JSON-safe snapshot of priced lines and totals (Decimals as strings)."""

    def line_dict(p: PricedLine) -> dict[str, Any]:
        data = asdict(p.line)
        for key in ("discount_percent", "tax_rate"):
            if data[key] is not None:
                data[key] = str(data[key])
        data.update(subtotal=p.subtotal, discount=p.discount, tax=p.tax, total=p.total)
        return data

    return {
        "currency": totals.currency,
        "lines": [line_dict(p) for p in totals.lines],
        "subtotal": totals.subtotal,
        "discount": totals.discount,
        "tax": totals.tax,
        "total": totals.total,
        "one_time_total": totals.one_time_total,
        "schedules": [
            {
                "billing_frequency": s.billing_frequency,
                "term_periods": s.term_periods,
                "amount": s.amount,
                "line_indexes": list(s.line_indexes),
                "phrase": s.phrase,
            }
            for s in totals.schedules
        ],
    }


def lines_from_frozen(order: dict[str, Any]) -> list[Line]:
    """The input lines of a frozen order, to price them again (and check the total)."""
    lines = []
    for data in order.get("lines", []):
        lines.append(
            Line(
                name=data["name"],
                sku=data.get("sku", ""),
                quantity=int(data["quantity"]),
                unit_amount=int(data["unit_amount"]),
                discount_percent=Decimal(data["discount_percent"])
                if data.get("discount_percent") is not None
                else None,
                discount_amount=data.get("discount_amount"),
                tax_rate=Decimal(data.get("tax_rate") or "0"),
                billing_frequency=data.get("billing_frequency") or BillingFrequency.ONE_TIME,
                term_periods=data.get("term_periods"),
                ref=data.get("ref", ""),
            )
        )
    return lines
