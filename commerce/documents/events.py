"""What the snapshots of documents share (quotes.events, invoices.events): a line as
events and webhooks show it, and times as ISO 8601.

A snapshot never queries the database: the lines are those the service loaded
(`DocumentKind.record_event` prefetches them in the change's transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from .models import LineSnapshot


def iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def percent(value: Decimal | None, places: int = 2) -> str | None:
    """A percentage as a decimal string with its column's places ("12.50"): exact, unlike
    a JSON number, and the same before and after the row is read back."""
    return None if value is None else f"{Decimal(value):.{places}f}"


def line_snapshot(line: LineSnapshot) -> dict[str, Any]:
    """A line with its amount, quantity x unit price in integer cents (the "Amount"
    column of the document; discounts and tax are in the document's totals)."""
    return {
        "name": line.name,
        "sku": line.sku,
        "description": line.description or "",  # a payment link line has none
        "quantity": line.quantity,
        "unit_amount": line.unit_amount,
        "discount_percent": percent(line.discount_percent),
        "discount_amount": line.discount_amount,
        "tax_rate": percent(line.tax_rate, 3),
        "billing_frequency": line.billing_frequency,
        "term_periods": line.term_periods,
        "amount": line.quantity * line.unit_amount,
    }


def lines_snapshot(lines: Iterable[LineSnapshot]) -> list[dict[str, Any]]:
    return [line_snapshot(line) for line in lines]
