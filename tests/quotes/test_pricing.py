"""The quote totals: commerce.pricing per line, plus the quote-level discount."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce.catalog.models import BillingFrequency
from commerce.pricing import Line
from quotes.pricing import QuoteDiscountError, compute_quote


def test_quote_discount_applies_after_line_discounts_and_before_tax():
    lines = [
        Line(
            name="A",
            quantity=2,
            unit_amount=10_000,
            discount_percent=Decimal(10),
            tax_rate=Decimal(10),
        ),
        Line(name="B", quantity=1, unit_amount=2_000, tax_rate=Decimal(10)),
    ]
    totals = compute_quote(lines, discount_amount=2_000)
    # Shown per line: quantity x unit price; A: 200.00 - 20.00 = 180.00; B: 20.00 → 200.00
    # after line discounts
    assert totals.line_amounts == (20_000, 2_000)
    assert totals.line_discount == 2_000
    assert totals.quote_discount == 2_000
    # quote discount split 18:2 → 18.00 / 2.00; tax 10% of 162.00 and 18.00
    assert totals.tax == 1_620 + 180
    assert totals.subtotal == 22_000
    assert totals.total == 22_000 - 4_000 + 1_800


def test_percent_quote_discount_is_rounded_half_up_to_the_cent():
    totals = compute_quote(
        [Line(name="A", quantity=1, unit_amount=1_005)], discount_percent=Decimal(50)
    )
    assert totals.quote_discount == 503  # 502.5 → 503
    assert totals.total == 502


def test_recurring_lines_keep_their_share_every_period():
    lines = [
        Line(name="Setup", quantity=1, unit_amount=50_000),
        Line(
            name="Plan",
            quantity=1,
            unit_amount=10_000,
            billing_frequency=BillingFrequency.MONTHLY,
            term_periods=12,
        ),
    ]
    totals = compute_quote(lines, discount_percent=Decimal(10))
    assert totals.one_time_total == 45_000
    assert [s.amount for s in totals.schedules] == [9_000]
    assert totals.total == 54_000


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"discount_percent": Decimal("100.01")}, "between 0% and 100%"),
        ({"discount_percent": Decimal(-1)}, "between 0% and 100%"),
        ({"discount_amount": 10_001}, "cannot be more than"),
        ({"discount_amount": -1}, "cannot be negative"),
    ],
)
def test_impossible_quote_discounts_are_refused(kwargs, message):
    with pytest.raises(QuoteDiscountError, match=message):
        compute_quote([Line(name="A", quantity=1, unit_amount=10_000)], **kwargs)


lines_strategy = st.lists(
    st.builds(
        lambda quantity, unit, pct, amount, use_pct, tax, recurring: Line(
            name="x",
            quantity=quantity,
            unit_amount=unit,
            discount_percent=pct if use_pct else None,
            discount_amount=None if use_pct else min(amount, quantity * unit),
            tax_rate=tax,
            billing_frequency=BillingFrequency.MONTHLY if recurring else BillingFrequency.ONE_TIME,
        ),
        st.integers(0, 500),
        st.integers(0, 2_000_000),
        st.decimals(0, 100, places=2),
        st.integers(0, 5_000_000),
        st.booleans(),
        st.decimals(0, 100, places=3),
        st.booleans(),
    ),
    min_size=0,
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(
    lines=lines_strategy, quote_pct=st.none() | st.decimals(0, 100, places=2), share=st.floats(0, 1)
)
def test_total_is_lines_minus_discounts_plus_tax_and_never_negative(lines, quote_pct, share):
    """total = Σ line subtotals - line discounts - quote discount + tax, never negative.
    Rounding: each percentage rounds to the cent (halves up) per line; the quote
    discount's allocation over lines neither gains nor loses a cent."""
    first = compute_quote(lines)
    after_line_discounts = sum(first.line_amounts) - first.line_discount
    amount = None if quote_pct is not None else int(after_line_discounts * share)
    totals = compute_quote(lines, discount_percent=quote_pct, discount_amount=amount)
    # As shown: the lines' amounts add up to the subtotal, and the rows to the total.
    assert sum(totals.line_amounts) == totals.subtotal
    signed = {"subtotal": 1, "discount": -1, "tax": 1}
    rows = totals.rows
    assert sum(signed[r.kind] * r.amount for r in rows[:-1]) == rows[-1].amount == totals.total
    assert (
        totals.total == totals.subtotal - totals.line_discount - totals.quote_discount + totals.tax
    )
    assert totals.discount == totals.line_discount + totals.quote_discount
    assert totals.total >= 0
    assert 0 <= totals.discount <= totals.subtotal
    assert totals.total == sum(p.total for p in totals.lines)
    if amount is not None:
        assert totals.quote_discount == amount
