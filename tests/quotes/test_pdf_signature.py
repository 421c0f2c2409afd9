"""The signature box of a signed quote's PDF is never split across two pages, wherever
the lines above it end (break-inside: avoid in the PDF stylesheet)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from quotes import services
from quotes.pdf import render_quote_pdf
from tests.support import line

pytestmark = pytest.mark.django_db

# Every line of the signature box, each printed once in the PDF.
BOX = ("Accepted and signed", "Zed Signer", "IP 203.0.113.5", "Browser: Mozilla/5.0")


def pages_with(pdf: bytes, text: str) -> list[int]:
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    return [number for number, page in enumerate(pages, start=1) if text in page]


def test_the_signature_box_lands_on_one_page_however_many_lines_fill_the_page(make_quote):
    # Lines that fill the second page, more and more: on the way, one count ends where
    # the box would straddle the page break (14, with today's styles).
    for count in range(11, 19):
        quote = make_quote(
            publish=True,
            terms="Net 30.",
            lines=[
                line(f"Item {n}", description="Two lines of description to make the row taller")
                for n in range(count)
            ],
        )
        quote = services.quote_accept(
            quote=quote,
            signed_name="Zed Signer",
            agreed_to_terms=True,
            ip="203.0.113.5",
            user_agent="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Safari/537.36",
        )
        pdf = render_quote_pdf(quote)
        where = {text: pages_with(pdf, text) for text in BOX}
        pages = {page for found in where.values() for page in found}
        assert all(len(found) == 1 for found in where.values()), (count, where)
        assert len(pages) == 1, f"{count} lines: the signature box spans pages {where}"
