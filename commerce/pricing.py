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

Presented the same way on every document, PDF, checkout, receipt and e-mail
(`summary_rows`, `order_summary`): each line's amount is its quantity times its unit
price, before discount and tax (a line's own discount is noted under it); then the
subtotal (the sum of those amounts), the discounts, the tax and the total.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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

    @property
    def rows(self) -> tuple[SummaryRow, ...]:
        """Subtotal, discounts, tax and total, as every page and e-mail shows them."""
        return summary_rows(
            subtotal=self.subtotal,
            discount=self.discount,
            tax=self.tax,
            total=self.total,
            recurring=self.has_recurring,
        )


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


def freeze(
    totals: Totals,
    *,
    document_discount: int = 0,
    discount_label: str = "",
    line_discounts: Sequence[int] | None = None,
) -> dict[str, Any]:
    """A JSON-safe snapshot of priced lines and totals (Decimals as strings).

    `document_discount` is the part of the discounts given on the whole document (a
    quote's discount, folded into the lines' discounts), named `discount_label`, and
    `line_discounts` each line's own discount, so the checkout and the receipt show the
    discounts as the document does."""

    def line_dict(p: PricedLine, own_discount: int) -> dict[str, Any]:
        data = asdict(p.line)
        for key in ("discount_percent", "tax_rate"):
            if data[key] is not None:
                data[key] = str(data[key])
        data.update(
            subtotal=p.subtotal,
            discount=p.discount,
            line_discount=own_discount,
            tax=p.tax,
            total=p.total,
        )
        return data

    own = list(line_discounts) if line_discounts is not None else [p.discount for p in totals.lines]
    return {
        "currency": totals.currency,
        "lines": [line_dict(p, d) for p, d in zip(totals.lines, own, strict=True)],
        "subtotal": totals.subtotal,
        "discount": totals.discount,
        "tax": totals.tax,
        "total": totals.total,
        "one_time_total": totals.one_time_total,
        "document_discount": document_discount,
        "discount_label": discount_label,
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


# --- How every page, PDF and e-mail shows a priced order ----------------------------


@dataclass(frozen=True)
class SummaryRow:
    """One row under the lines. `kind`: "subtotal", "discount" (shown as -$X), "tax" or
    "total" (the grand total)."""

    kind: str
    label: str
    amount: int


def summary_rows(
    *,
    subtotal: int,
    discount: int,
    tax: int,
    total: int,
    document_discount: int = 0,
    discount_label: str = "",
    recurring: bool = False,
    paid: bool = False,
) -> tuple[SummaryRow, ...]:
    """The rows under the lines, the same on every document, checkout and receipt:
    subtotal, the discounts (the lines' own, then a discount on the whole document),
    tax, and the total ("Total paid" once paid, "Total due today" when recurring
    payments follow)."""
    rows = [SummaryRow("subtotal", "Subtotal", subtotal)]
    line_discount = discount - document_discount
    if line_discount:
        rows.append(
            SummaryRow(
                "discount", "Line discounts" if document_discount else "Discounts", line_discount
            )
        )
    if document_discount:
        rows.append(SummaryRow("discount", discount_label or "Discount", document_discount))
    if tax:
        rows.append(SummaryRow("tax", "Tax", tax))
    label = "Total paid" if paid else "Total due today" if recurring else "Total"
    rows.append(SummaryRow("total", label, total))
    return tuple(rows)


def order_summary(order: dict[str, Any], *, paid: bool = False) -> dict[str, Any]:
    """A frozen order as the checkout, the receipt and their e-mails show it: each line
    with its amount (quantity x unit price) and schedule phrase, and the `rows` under
    the lines (`summary_rows`). Orders frozen before the document discount was kept
    show their discounts as one row."""
    lines = []
    for line in order.get("lines", []):
        quantity, unit_amount = int(line.get("quantity", 1)), int(line.get("unit_amount", 0))
        lines.append(
            {
                **line,
                "amount": quantity * unit_amount,
                "line_discount": int(line.get("line_discount", line.get("discount") or 0)),
                "schedule": schedule_phrase(
                    line.get("billing_frequency") or BillingFrequency.ONE_TIME,
                    line.get("term_periods"),
                ),
            }
        )
    subtotal = sum(line["amount"] for line in lines)
    total = int(order.get("total", 0))
    tax = int(order.get("tax", 0))
    rows = summary_rows(
        subtotal=subtotal,
        # What the lines' amounts lose before the total, whatever the order kept.
        discount=subtotal + tax - total,
        tax=tax,
        total=total,
        document_discount=int(order.get("document_discount") or 0),
        discount_label=order.get("discount_label") or "",
        recurring=bool(order.get("schedules")),
        paid=paid,
    )
    return {**order, "lines": lines, "rows": rows}
