"""What the snapshots of documents share (quotes.events, invoices.events): a line as
events and webhooks show it, and times as ISO 8601.

A snapshot never queries the database: the lines are those the service loaded
(`DocumentKind.record_event` prefetches them in the change's transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from .models import LineSnapshot


def iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def line_snapshot(line: LineSnapshot) -> dict[str, Any]:
    """A line with its amount, quantity x unit price in integer cents (the "Amount"
    column of the document; discounts and tax are in the document's totals)."""
    return {
        "name": line.name,
        "sku": line.sku,
        "quantity": line.quantity,
        "unit_amount": line.unit_amount,
        "billing_frequency": line.billing_frequency,
        "term_periods": line.term_periods,
        "amount": line.quantity * line.unit_amount,
    }


def lines_snapshot(lines: Iterable[LineSnapshot]) -> list[dict[str, Any]]:
    return [line_snapshot(line) for line in lines]
