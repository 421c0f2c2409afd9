"""The product CSV format, read and written in one place so export → import round-trips.

Columns (the first row names them, in any order):

  name, sku, description, unit_price, unit_cost, billing_frequency, term_periods, archived

Amounts are dollars with a dot for decimals ("1234.50"), as `commerce.money` writes them.
Text cells that a spreadsheet would run as a formula (starting with = + - @) are written
with a leading apostrophe and read back without it (OWASP "CSV injection"), by the hub's
one CSV writer and reader (`commerce.csv`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from commerce import csv
from commerce.money import to_decimal

from .models import Product

COLUMNS = [
    "name",
    "sku",
    "description",
    "unit_price",
    "unit_cost",
    "billing_frequency",
    "term_periods",
    "archived",
]
REQUIRED_COLUMNS = ["name", "unit_price"]
TEXT_COLUMNS = ("name", "sku", "description")

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000

# What each column holds, for the import page and the command's help.
COLUMN_HELP: list[tuple[str, bool, str]] = [
    ("name", True, "Product name, up to 200 characters."),
    ("sku", False, "Your stock-keeping unit. A row whose SKU matches a product updates it."),
    ("description", False, "Shown on quotes and invoices."),
    ("unit_price", True, "In dollars: 49, 1234.50, $1,234.50. At most $999,999.99."),
    ("unit_cost", False, "In dollars, like unit_price. Leave empty if unknown."),
    (
        "billing_frequency",
        False,
        "One-time when empty. The value or its label, in any case (monthly, Monthly).",
    ),
    (
        "term_periods",
        False,
        "Recurring only: number of billing periods (1 to 1000). Empty = until cancelled.",
    ),
    ("archived", False, "true or false (also yes/no, 1/0). Empty = false."),
]

_EXCEL_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


class CsvFileError(ValueError):
    """The file as a whole cannot be read; the message is written for the person uploading it."""


@dataclass(frozen=True)
class CsvRow:
    number: int  # as a spreadsheet shows it: the header is row 1
    values: dict[str, str] = field(default_factory=dict)
    problem: str = ""


def product_to_row(product: Product) -> dict[str, str]:
    """A product as CSV cells (unescaped)."""
    return {
        "name": product.name,
        "sku": product.sku,
        "description": product.description,
        "unit_price": str(to_decimal(product.unit_price, product.currency)),
        "unit_cost": ""
        if product.unit_cost is None
        else str(to_decimal(product.unit_cost, product.currency)),
        "billing_frequency": product.billing_frequency,
        "term_periods": "" if product.term_periods is None else str(product.term_periods),
        "archived": "true" if product.archived else "false",
    }


def write_products_csv(products: Iterable[Product], stream: csv.Writable) -> int:
    """Writes the header and one row per product; returns the number of products."""
    writer = csv.CsvDictWriter(stream, COLUMNS)
    writer.writeheader()
    count = 0
    for product in products:
        writer.writerow(product_to_row(product))
        count += 1
    return count


def _normalise_header(cell: str) -> str:
    return "_".join(cell.strip().lower().replace("-", " ").split())


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _decode(content: bytes) -> str:
    if content.startswith(_EXCEL_SIGNATURES):
        raise CsvFileError(
            "This is an Excel workbook, not a CSV file. In your spreadsheet choose "
            "File > Save as > “CSV UTF-8 (comma delimited)” and upload that file."
        )
    if b"\x00" in content:
        raise CsvFileError(
            "This doesn't look like a CSV file: it contains binary data. "
            "Upload a .csv file saved as UTF-8 text."
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvFileError(
            "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."
        ) from None


def read_products_csv(content: bytes) -> list[CsvRow]:
    """Parses an uploaded file into rows of cells keyed by column name.

    Raises `CsvFileError` for problems with the file as a whole (size, encoding, header,
    too many rows); problems of a single row are reported on the row (`problem`) so
    they are listed with the other row errors.
    """
    if len(content) > MAX_FILE_BYTES:
        raise CsvFileError("The file is larger than 5 MB. Split it into smaller files.")
    text = _decode(content)
    if not text.strip():
        raise CsvFileError("The file is empty.")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [_normalise_header(cell) for cell in next(reader)]
        unknown = [cell for cell in header if cell not in COLUMNS]
        if unknown:
            raise CsvFileError(
                f"Unknown column “{_short(unknown[0])}”. The first row must name the columns, "
                f"from: {', '.join(COLUMNS)}."
            )
        repeated = sorted({cell for cell in header if header.count(cell) > 1})
        if repeated:
            raise CsvFileError(f"The column “{repeated[0]}” appears more than once.")
        missing = [column for column in REQUIRED_COLUMNS if column not in header]
        if missing:
            raise CsvFileError(
                f"The file has no “{missing[0]}” column. Required columns: "
                f"{', '.join(REQUIRED_COLUMNS)}."
            )
        rows: list[CsvRow] = []
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # blank lines that spreadsheets leave at the end
            if len(rows) >= MAX_ROWS:
                raise CsvFileError(
                    f"The file has more than {MAX_ROWS:,} products. Split it into smaller files."
                )
            problem = ""
            if len(cells) > len(header):
                problem = (
                    f"Row {number}: {len(cells)} cells but only {len(header)} columns. "
                    "Put quotes around text that contains commas."
                )
            cells = cells + [""] * (len(header) - len(cells))
            values = {
                column: csv.unneutralise(cell) if column in TEXT_COLUMNS else cell
                for column, cell in zip(header, cells, strict=False)
            }
            rows.append(CsvRow(number=number, values=values, problem=problem))
    except csv.Error as exc:
        raise CsvFileError(
            f"Row {reader.line_num}: the file isn't valid CSV ({exc}). "
            "Check the quotes in that row."
        ) from None
    if not rows:
        raise CsvFileError("The file has column names but no products.")
    return rows
