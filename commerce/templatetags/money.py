"""`{{ cents|money }}` renders integer minor units for people; built in to every template."""

from django import template

from commerce.money import format_cents

register = template.Library()


@register.filter(name="money")
def money_filter(cents: int | None, currency: str = "usd") -> str:
    if cents is None or cents == "":
        return "—"
    return format_cents(int(cents), currency or "usd")
