"""Form helpers shared by every app.

`submitted(request)` binds a form to a POST (even an empty one) and leaves it unbound
on GET. `MoneyField` is the one way a form takes an amount: people type dollars
("1,234.50", "$19.99"), the form cleans to integer cents through `commerce.money`, and
an initial value in cents is shown back as dollars ("1234.50"). `IdField` is the one
way a form or a list filter takes a row id: through `commerce.ids`, so "²", "٣" or a
25-digit number is a validation error, never a query.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from commerce import ids, money


class MoneyInput(forms.TextInput):
    """A text box for amounts: decimal keyboard on phones, no spinner arrows."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        base = {"inputmode": "decimal", "autocomplete": "off", "placeholder": "0.00"}
        super().__init__({**base, **(attrs or {})})


class MoneyField(forms.Field):
    """Dollars in, integer cents out; validated and converted only by `commerce.money`.

    `allow_negative`, `allow_zero` and `maximum` (cents) are passed to
    `money.parse_amount`, whose messages are written for people.
    """

    widget = MoneyInput
    default_error_messages = {"invalid": "Enter an amount, like 1250.00."}

    def __init__(
        self,
        *,
        currency: str = money.DEFAULT_CURRENCY,
        allow_negative: bool = False,
        allow_zero: bool = True,
        maximum: int = money.MAX_AMOUNT_CENTS,
        **kwargs: Any,
    ) -> None:
        self.currency = currency
        self.allow_negative = allow_negative
        self.allow_zero = allow_zero
        self.maximum = maximum
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        # Initial values are cents; bound data is what the person typed and stays as is.
        if isinstance(value, int) and not isinstance(value, bool):
            return str(money.to_decimal(value, self.currency))
        return value

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, float):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if isinstance(value, int | Decimal):
            raw: str | Decimal | int = value
        else:
            raw = str(value)
        try:
            return money.parse_amount(
                raw,
                self.currency,
                allow_negative=self.allow_negative,
                allow_zero=self.allow_zero,
                maximum=self.maximum,
            )
        except money.MoneyError as exc:
            raise ValidationError(str(exc), code="invalid_amount") from None


class IdField(forms.Field):
    """A row id (a list filter's contact or owner, a hidden line id): ASCII digits within
    the database's integer range, cleaned by `commerce.ids.parse_id` to an int."""

    widget = forms.NumberInput
    default_error_messages = {"invalid": "Choose a valid entry."}

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        parsed = ids.parse_id(value)
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


def submitted(request: HttpRequest, *, files: bool = False) -> tuple[Any, ...]:
    """Positional form arguments: the submitted data on POST, even when it is empty (so
    the form is bound and says what is missing), and nothing on GET."""
    if request.method != "POST":
        return ()
    return (request.POST, request.FILES) if files else (request.POST,)
