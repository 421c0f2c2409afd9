"""The PDF (WeasyPrint) carries the same content as the page, read back from the PDF."""

import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from commerce.catalog.models import BillingFrequency
from quotes import services
from quotes.pdf import render_quote_pdf
from tests.support import line


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, page by page, as a reader would copy it."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


pytestmark = pytest.mark.django_db


def test_pdf_has_the_right_lines_and_totals(make_quote):
    quote = make_quote(
        lines=[
            line(
                name="Implementation",
                quantity=2,
                unit_amount=125_000,
                discount_percent=Decimal(10),
                tax_rate=Decimal("8.25"),
            ),
            line(
                name="Support plan",
                unit_amount=20_000,
                tax_rate=Decimal("8.25"),
                billing_frequency=BillingFrequency.MONTHLY,
                term_periods=12,
            ),
        ],
        discount_amount=5_000,
        terms="Prices valid for 30 days.",
        publish=True,
    )
    totals = services.quote_totals(quote)
    # 2 x 1,250 - 10 % = 2,250; + 200 = 2,450; - 50 quote discount = 2,400; tax 8.25 % = 198.00
    assert (totals.subtotal, totals.discount, totals.tax, totals.total) == (
        270_000,
        30_000,
        19_800,
        259_800,
    )
    text = pdf_text(render_quote_pdf(quote))
    for expected in (
        "Website redesign",
        "Q-0001",
        "Acme Test Co.",
        "Bea Buyer",
        "Implementation",
        "Support plan",
        "$2,700.00",  # subtotal
        "\u2212$250.00",  # line discounts
        "\u2212$50.00",  # quote discount
        "$198.00",  # tax
        "$2,598.00",  # total due today
        "every month for 12 months",
        "Prices valid for 30 days.",
    ):
        assert expected in text, expected


def test_signed_pdf_prints_name_time_ip_and_browser(make_quote):
    quote = make_quote(publish=True)
    quote = services.quote_accept(
        quote=quote,
        signed_name="Bea Buyer",
        agreed_to_terms=True,
        ip="203.0.113.5",
        user_agent="Mozilla/5.0 TestBrowser",
    )
    text = pdf_text(render_quote_pdf(quote))
    assert "Accepted and signed" in text
    assert "Bea Buyer" in text
    assert "203.0.113.5" in text
    assert "Mozilla/5.0 TestBrowser" in text
    signed = quote.accepted_at.astimezone(ZoneInfo(quote.portal.time_zone))
    assert f"{signed:%b} {signed.day}, {signed.year}, {signed:%-I:%M %p} {signed:%Z}" in text


def test_page_footer_prints_the_portal_name_as_written(make_quote, portal):
    portal.name = 'Smith-Jones "A/V" Co. \\ </style>'
    portal.save()
    text = pdf_text(render_quote_pdf(make_quote(publish=True)))
    assert 'Smith-Jones "A/V" Co. \\ </style>' in text
    assert "u002D" not in text and "u0022" not in text
