"""The hub's one CSV writer (and reader): every export and import goes through here.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, after trimming, one
that starts with a tab, a carriage return or a line feed) as a formula: a buyer who types
`=HYPERLINK(…)` as their company name would otherwise get code into the seller's
accounting spreadsheet (OWASP "CSV injection"). So every *text* cell whose first
character, or first character after leading whitespace, is one of those (or their
full-width forms, which some spreadsheets also accept) is written with a leading
apostrophe, which spreadsheets show as text and hide. A text cell that already starts
with an apostrophe gets one more, so `unneutralise` gives back exactly what was written.

Numbers stay numbers: an `int`, a `Decimal` or a `float` is written as it is, so money
written as `money.to_decimal(...)` (a refund's `-10.00`, say) is still a number in the
spreadsheet. Pass amounts as numbers, never as strings: a string is text and is
neutralised like any other. Dates are written in ISO 8601, `None` as an empty cell.

No other module of the hub imports the standard library's `csv` (a test checks it), so a
new export is safe by construction.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from _csv import Reader

# What a cell may hold. Text is neutralised; numbers, dates and None are not text.
Cell = str | int | float | Decimal | dt.date | dt.datetime | None

# `=`, `+`, `-`, `@` and their full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20, and the
# minus sign U+2212), plus the control characters OWASP lists.
FORMULA_START = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20\u2212")
_APOSTROPHE = "'"

Error = csv.Error


class Writable(Protocol):
    def write(self, text: str, /) -> object: ...


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could read `text` as a formula."""
    if not text:
        return False
    return text[0] in FORMULA_START or text.lstrip()[:1] in FORMULA_START


def neutralise(text: str) -> str:
    """`text` as a cell no spreadsheet runs (see the module's docstring)."""
    if is_formula_like(text) or text.startswith(_APOSTROPHE):
        return _APOSTROPHE + text
    return text


def unneutralise(text: str) -> str:
    """The inverse of `neutralise`, for reading back a file the hub wrote."""
    if text.startswith(_APOSTROPHE) and (
        is_formula_like(text[1:]) or text[1:].startswith(_APOSTROPHE)
    ):
        return text[1:]
    return text


def cell(value: Cell) -> str | int | float | Decimal:
    """One value as the writer writes it: numbers as numbers, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, dt.date):  # datetime is a date too
        return value.isoformat()
    return neutralise(str(value))


class CsvWriter:
    """`csv.writer` whose every cell goes through `cell`. Rows end in CRLF (RFC 4180),
    always: the writer quotes a cell holding a character of the line terminator, so with
    a bare LF a carriage return inside a cell would end the row early and start the next
    cell with whatever followed it (`=1+1`, unneutralised)."""

    def __init__(self, stream: Writable) -> None:
        self._writer = csv.writer(stream, lineterminator="\r\n")

    def writerow(self, row: Iterable[Cell]) -> None:
        self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Cell]]) -> None:
        for row in rows:
            self.writerow(row)


class CsvDictWriter:
    """`csv.DictWriter` whose every cell goes through `cell`; the header is the columns."""

    def __init__(self, stream: Writable, columns: Sequence[str]) -> None:
        self.columns = list(columns)
        self._writer = CsvWriter(stream)

    def writeheader(self) -> None:
        self._writer.writerow(self.columns)

    def writerow(self, row: Mapping[str, Cell]) -> None:
        self._writer.writerow(row.get(column) for column in self.columns)


def reader(lines: Iterable[str], *, strict: bool = True) -> Reader:
    """`csv.reader` for imports; cells come back as written (see `unneutralise`)."""
    return csv.reader(lines, strict=strict)
