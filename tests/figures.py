"""Reading the figures a buyer sees (imported, not collected): each line's amount and the
rows under the lines (subtotal, discounts, tax, total), from a document's page, its PDF
text, the checkout's order summary, the receipt page and the receipt e-mail, so tests
can check they all say the same thing."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from pypdf import PdfReader

MONEY = "(?:\u2212|-)?\\$[\\d,]+\\.\\d\\d"  # "\u2212" is the minus sign of a discount


@dataclass(frozen=True)
class Figures:
    line_amounts: list[str]
    rows: list[tuple[str, str]]  # (label, amount) under the lines, the total last

    @property
    def before_total(self) -> list[tuple[str, str]]:
        return self.rows[:-1]

    @property
    def total(self) -> str:
        return self.rows[-1][1]

    def same_as(self, other: Figures) -> bool:
        """The same amounts on the same rows; only the total's name may differ ("Total",
        "Total due today", "Total paid")."""
        return (
            self.line_amounts == other.line_amounts
            and self.before_total == other.before_total
            and self.total == other.total
        )


def _money(text: str) -> str:
    return text.replace("\u2212", "-")


def document_figures(page: str) -> Figures:
    """A quote's or an invoice's page (or its PDF's HTML)."""
    lines = re.search(r'<table class="doc-lines">(.*?)</table>', page, re.S)
    totals = re.search(r'<table class="doc-totals"[^>]*>(.*?)</table>', page, re.S)
    assert lines and totals, "no document on the page"
    amounts = re.findall(rf'<td class="num">({MONEY})</td>\s*</tr>', lines.group(1))
    rows = re.findall(
        rf'<tr class="doc-row-\w+[^"]*"><td>(.*?)</td><td class="num"[^>]*>({MONEY})</td></tr>',
        totals.group(1),
    )
    return Figures([_money(a) for a in amounts], [(label, _money(a)) for label, a in rows])


def summary_figures(page: str) -> Figures:
    """The hosted checkout's order summary, on the card step or the receipt page."""
    amounts = re.findall(rf'data-testid="line-amount">({MONEY})', page)
    rows = re.findall(rf'data-testid="summary-\w+"><dt>(.*?)</dt><dd>({MONEY})</dd>', page)
    return Figures([_money(a) for a in amounts], [(label, _money(a)) for label, a in rows])


def receipt_mail_figures(text: str) -> Figures:
    """The text part of the receipt e-mail."""
    amounts = re.findall(rf"\(qty \d+\): ({MONEY})", text)
    rows = re.findall(
        rf"^((?:Subtotal|Discounts|Line discounts|Quote discount[^:]*|Discount|Tax|Total[^:]*)): ({MONEY})$",
        text,
        re.M,
    )
    return Figures([_money(a) for a in amounts], [(label, _money(a)) for label, a in rows])


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def in_pdf(figures: Figures, text: str) -> list[str]:
    """What of `figures` the PDF's text does not show: each row as "Label $amount" on
    one line, each line amount somewhere."""
    flat = " ".join(text.split()).replace("\u2212", "-")
    missing = [a for a in figures.line_amounts if a not in flat]
    missing += [
        f"{label} {amount}" for label, amount in figures.rows if f"{label} {amount}" not in flat
    ]
    return missing
