"""Money as integer minor units plus a currency code.

Every conversion between what people type or read ("$1,234.50") and what we store or
send to Stripe (123450) happens here, and so does every rounding. Floats never touch
an amount.

Rounding rule: amounts derived by a percentage (discounts, tax, fees) are rounded to
the nearest cent, halves away from zero (ROUND_HALF_UP), which is what a person
computing an invoice by hand expects and what Stripe documents for tax amounts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

SUPPORTED_CURRENCIES = {"usd": ("$", 2)}
DEFAULT_CURRENCY = "usd"

# Stripe's largest amount for a charge in USD: $999,999.99.
# (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts)
MAX_AMOUNT_CENTS = 99_999_999
# The card limit: the most a buyer can pay by card at once, on every document (quotes,
# invoices, payment links, each period of a subscription). Checked where the seller
# builds the document, so a buyer is never offered a card payment Stripe would refuse.
CARD_LIMIT_CENTS = MAX_AMOUNT_CENTS
# The most a document may come to: far above the card limit (an invoice paid by bank
# transfer may be larger), far below what the amount columns hold (2**63 cents).
MAX_DOCUMENT_CENTS = 10**13 - 1  # $99,999,999,999.99

_CLEAN = re.compile(r"[\s,$]")


class MoneyError(ValueError):
    """Input that cannot be an amount; the message is safe to show a person."""


@dataclass(frozen=True, slots=True)
class Money:
    cents: int
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        if not isinstance(self.cents, int) or isinstance(self.cents, bool):
            raise TypeError("Money.cents must be an int")
        if self.currency not in SUPPORTED_CURRENCIES:
            raise MoneyError(f"Unsupported currency {self.currency!r}.")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.cents + other.cents, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.cents - other.cents, self.currency)

    def __mul__(self, quantity: int) -> Money:
        if not isinstance(quantity, int):
            raise TypeError("Money can only be multiplied by a whole quantity")
        return Money(self.cents * quantity, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.cents, self.currency)

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise MoneyError("Cannot combine amounts in different currencies.")

    def percent(self, rate: Decimal | int | str) -> Money:
        return Money(percent_of(self.cents, rate), self.currency)

    def format(self) -> str:
        return format_cents(self.cents, self.currency)

    def __str__(self) -> str:
        return self.format()


def _exponent(currency: str) -> int:
    try:
        return SUPPORTED_CURRENCIES[currency.lower()][1]
    except KeyError:
        raise MoneyError(f"Unsupported currency {currency!r}.") from None


def to_decimal(cents: int, currency: str = DEFAULT_CURRENCY) -> Decimal:
    """123450 → Decimal('1234.50'): for form initial values and CSV export."""
    exp = _exponent(currency)
    return (Decimal(cents) / (Decimal(10) ** exp)).quantize(Decimal(1).scaleb(-exp))


def parse_amount(
    value: str | Decimal | int,
    currency: str = DEFAULT_CURRENCY,
    *,
    allow_negative: bool = False,
    allow_zero: bool = True,
    maximum: int = MAX_AMOUNT_CENTS,
) -> int:
    """What a person typed, in major units ("1,234.5", "$19.99"), to integer cents.

    Refuses more decimals than the currency has instead of silently rounding them away.
    """
    exp = _exponent(currency)
    if isinstance(value, int) and not isinstance(value, bool):
        dec = Decimal(value)
    elif isinstance(value, Decimal):
        dec = value
    else:
        text = _CLEAN.sub("", str(value or ""))
        if not text:
            raise MoneyError("Enter an amount.")
        try:
            dec = Decimal(text)
        except InvalidOperation:
            raise MoneyError(f"“{value}” is not an amount. Use digits, like 1250.00.") from None
    if not dec.is_finite():
        raise MoneyError("Enter a finite amount.")
    if dec.as_tuple().exponent < -exp:  # type: ignore[operator]
        raise MoneyError(f"Use at most {exp} decimal places.")
    cents = int(dec.scaleb(exp))
    if cents < 0 and not allow_negative:
        raise MoneyError("The amount cannot be negative.")
    if cents == 0 and not allow_zero:
        raise MoneyError("The amount must be more than zero.")
    if abs(cents) > maximum:
        raise MoneyError(f"The amount cannot be more than {format_cents(maximum, currency)}.")
    return cents


def over_card_limit(cents: int) -> bool:
    """Whether `cents` is more than a card can pay at once (CARD_LIMIT_CENTS)."""
    return cents > CARD_LIMIT_CENTS


def card_limit_refusal(cents: int, currency: str = DEFAULT_CURRENCY, *, what: str) -> str | None:
    """Why a card cannot pay `cents` at once, in words for a person ("The total is
    $1,200,000.00: a card can pay at most $999,999.99 at once."); None when it can.
    `what` names the amount; callers add what the person can do about it."""
    if not over_card_limit(cents):
        return None
    return (
        f"{what} is {format_cents(cents, currency)}: a card can pay at most "
        f"{format_cents(CARD_LIMIT_CENTS, currency)} at once."
    )


def round_half_up(value: Decimal) -> int:
    """Nearest integer, halves away from zero."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(cents: int, rate: Decimal | int | str) -> int:
    """`rate` percent of `cents`, rounded to the cent (halves away from zero)."""
    return round_half_up(Decimal(cents) * Decimal(str(rate)) / Decimal(100))


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split `total` cents across `weights` proportionally, summing exactly to `total`.

    Largest-remainder method: the cents lost to rounding go to the largest remainders,
    so a fee spread over lines never gains or loses a cent.
    """
    if not weights:
        return []
    weight_sum = sum(weights)
    if weight_sum == 0:
        shares = [0] * len(weights)
        shares[0] = total
        return shares
    raw = [Decimal(total) * w / weight_sum for w in weights]
    floors = [int(r.to_integral_value(rounding="ROUND_FLOOR")) for r in raw]
    remainder = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: raw[i] - floors[i], reverse=True)
    for i in order[:remainder]:
        floors[i] += 1
    return floors


def format_cents(cents: int, currency: str = DEFAULT_CURRENCY) -> str:
    """123450 → '$1,234.50'; -500 → '-$5.00'."""
    symbol, _exp = SUPPORTED_CURRENCIES.get(currency.lower(), (currency.upper() + " ", 2))
    sign = "-" if cents < 0 else ""
    amount = to_decimal(
        abs(cents), currency if currency.lower() in SUPPORTED_CURRENCIES else DEFAULT_CURRENCY
    )
    return f"{sign}{symbol}{amount:,}"
