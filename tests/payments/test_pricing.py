"""The totals engine (commerce/pricing.py): discounts, quantities, rounding, schedules."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce import pricing
from commerce.catalog.models import BillingFrequency
from commerce.pricing import Line, PricingError, compute


def test_line_total_is_quantity_times_price_less_discount_plus_tax():
    p = pricing.price_line(
        Line(
            name="Seat",
            quantity=3,
            unit_amount=1999,
            discount_percent=Decimal("10"),
            tax_rate=Decimal("8.25"),
        )
    )
    assert p.subtotal == 5997
    assert p.discount == 600  # 599.7 rounds half up
    assert p.tax == 445  # 8.25% of 5397 = 445.25
    assert p.total == 5997 - 600 + 445


def test_percent_discount_rounds_halves_away_from_zero():
    assert (
        pricing.price_line(
            Line(name="x", quantity=1, unit_amount=5, discount_percent=Decimal("50"))
        ).discount
        == 3
    )  # 2.5 -> 3


def test_amount_discount_is_capped_at_the_line_subtotal():
    p = pricing.price_line(Line(name="x", quantity=2, unit_amount=1000, discount_amount=5000))
    assert (p.discount, p.total) == (2000, 0)


def test_a_line_has_one_kind_of_discount_and_no_negative_inputs():
    with pytest.raises(PricingError):
        Line(name="x", quantity=1, unit_amount=1, discount_percent=Decimal(1), discount_amount=1)
    with pytest.raises(PricingError):
        Line(name="x", quantity=-1, unit_amount=1)
    with pytest.raises(PricingError):
        Line(name="x", quantity=1, unit_amount=1, discount_percent=Decimal("100.01"))
    with pytest.raises(TypeError):
        Line(name="x", quantity=1, unit_amount=1.5)  # type: ignore[arg-type]


def test_due_today_is_one_time_lines_plus_first_period_of_recurring_lines():
    totals = compute(
        [
            Line(name="Setup", quantity=1, unit_amount=20000),
            Line(
                name="Plan",
                quantity=2,
                unit_amount=2500,
                billing_frequency=BillingFrequency.MONTHLY,
                term_periods=12,
            ),
            Line(
                name="Support",
                quantity=1,
                unit_amount=1000,
                billing_frequency=BillingFrequency.MONTHLY,
                term_periods=12,
            ),
            Line(
                name="Licence",
                quantity=1,
                unit_amount=9900,
                billing_frequency=BillingFrequency.YEARLY,
            ),
        ]
    )
    assert totals.one_time_total == 20000
    assert totals.total == 20000 + 5000 + 1000 + 9900
    assert [(s.billing_frequency, s.term_periods, s.amount) for s in totals.schedules] == [
        ("monthly", 12, 6000),
        ("yearly", None, 9900),
    ]
    assert totals.schedules[0].phrase == "then $60.00 every month for 12 months"
    assert totals.schedules[1].phrase == "then $99.00 every year until cancelled"


def test_recurring_line_shows_its_schedule():
    line = pricing.price_line(
        Line(
            name="Plan",
            quantity=1,
            unit_amount=5000,
            billing_frequency=BillingFrequency.MONTHLY,
            term_periods=12,
        )
    )
    assert line.schedule == "then $50.00 every month for 12 months"


def test_frozen_order_prices_the_same_again():
    totals = compute(
        [
            Line(
                name="A",
                quantity=3,
                unit_amount=333,
                discount_percent=Decimal("33.33"),
                tax_rate=Decimal("7.5"),
            )
        ]
    )
    frozen = pricing.freeze(totals)
    again = pricing.freeze(compute(pricing.lines_from_frozen(frozen)))
    assert again == frozen


frequencies = st.sampled_from([f.value for f in BillingFrequency])


@st.composite
def lines(draw):
    frequency = draw(frequencies)
    discount_kind = draw(st.sampled_from(["none", "percent", "amount"]))
    return Line(
        name=draw(st.text(min_size=1, max_size=20)),
        quantity=draw(st.integers(min_value=0, max_value=10_000)),
        unit_amount=draw(st.integers(min_value=0, max_value=99_999_999)),
        discount_percent=draw(st.decimals(min_value=0, max_value=100, places=2))
        if discount_kind == "percent"
        else None,
        discount_amount=draw(st.integers(min_value=0, max_value=10**12))
        if discount_kind == "amount"
        else None,
        tax_rate=draw(st.decimals(min_value=0, max_value=30, places=3)),
        billing_frequency=frequency,
        term_periods=draw(st.none() | st.integers(min_value=1, max_value=120))
        if frequency != "one_time"
        else None,
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(lines(), min_size=1, max_size=12))
def test_property_charged_amount_equals_frozen_total_and_is_never_negative(items):
    totals = compute(items)
    frozen = pricing.freeze(totals)
    # What the checkout charges is the frozen total, which re-prices identically.
    assert frozen["total"] == totals.total == compute(pricing.lines_from_frozen(frozen)).total
    assert totals.total == totals.subtotal - totals.discount + totals.tax
    assert totals.total == totals.one_time_total + sum(s.amount for s in totals.schedules)
    assert all(isinstance(v, int) for v in (totals.total, totals.subtotal, totals.tax))
    for p in totals.lines:
        assert 0 <= p.discount <= p.subtotal
        assert p.tax >= 0 and p.total >= 0
    assert totals.total >= 0
