from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commerce.money import (
    MAX_AMOUNT_CENTS,
    Money,
    MoneyError,
    allocate,
    format_cents,
    parse_amount,
    percent_of,
    to_decimal,
)


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("12", 1200),
        ("12.5", 1250),
        ("12.50", 1250),
        ("$1,234.56", 123456),
        (" 0.01 ", 1),
        ("0", 0),
        ("999999.99", MAX_AMOUNT_CENTS),
        (Decimal("3.10"), 310),
        (7, 700),
    ],
)
def test_parse_amount_reads_what_people_type(typed, cents):
    assert parse_amount(typed) == cents


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter an amount."),
        ("abc", "is not an amount"),
        ("1.234", "at most 2 decimal places"),
        ("-5", "cannot be negative"),
        ("1000000.00", "cannot be more than $999,999.99"),
        ("NaN", "finite"),
        ("Infinity", "finite"),
    ],
)
def test_parse_amount_refuses_bad_input_with_a_message(typed, message):
    with pytest.raises(MoneyError, match=message.replace("$", r"\$")):
        parse_amount(typed)


def test_parse_amount_can_refuse_zero_and_allow_negative():
    with pytest.raises(MoneyError, match="more than zero"):
        parse_amount("0", allow_zero=False)
    assert parse_amount("-2.50", allow_negative=True) == -250


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, "$0.00"),
        (5, "$0.05"),
        (123456, "$1,234.56"),
        (-500, "-$5.00"),
        (MAX_AMOUNT_CENTS, "$999,999.99"),
    ],
)
def test_format_cents(cents, text):
    assert format_cents(cents) == text


@pytest.mark.parametrize(
    ("cents", "rate", "expected"),
    [
        (1000, 10, 100),
        (1005, "10", 101),  # 100.5 → 101: halves round away from zero
        (1004, "10", 100),  # 100.4 → 100
        (-1005, "10", -101),  # symmetric for credits
        (999, "33.333", 333),
        (1, "50", 1),
    ],
)
def test_percent_of_rounds_half_up(cents, rate, expected):
    assert percent_of(cents, rate) == expected


def test_money_arithmetic_keeps_currency_and_refuses_mixing():
    a = Money(1050)
    assert (a + Money(50)).cents == 1100
    assert (a * 3).cents == 3150
    assert (3 * a).cents == 3150
    assert (-a).cents == -1050
    assert a.percent(10).cents == 105
    assert str(a) == "$10.50"
    with pytest.raises(TypeError):
        Money(10.5)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(1, "eur")


def test_to_decimal_is_exact():
    assert to_decimal(123456) == Decimal("1234.56")
    assert str(to_decimal(5)) == "0.05"


@given(st.integers(min_value=-MAX_AMOUNT_CENTS, max_value=MAX_AMOUNT_CENTS))
def test_format_and_parse_round_trip(cents):
    assert parse_amount(format_cents(cents), allow_negative=True) == cents


@given(
    st.integers(min_value=0, max_value=10**9),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=20),
)
def test_allocate_never_gains_or_loses_a_cent(total, weights):
    shares = allocate(total, weights)
    assert sum(shares) == total
    assert len(shares) == len(weights)
    assert all(s >= 0 for s in shares)
    weight_sum = sum(weights)
    if weight_sum:
        for share, weight in zip(shares, weights, strict=True):
            # each share is within one cent of its exact proportion
            assert abs(Decimal(share) - Decimal(total) * weight / weight_sum) < 1
