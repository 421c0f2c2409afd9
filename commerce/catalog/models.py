from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from commerce.models import PortalOwned
from commerce.money import round_half_up


class BillingFrequency(models.TextChoices):
    ONE_TIME = "one_time", "One-time"
    WEEKLY = "weekly", "Weekly"
    BIWEEKLY = "biweekly", "Every two weeks"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    SEMIANNUALLY = "semiannually", "Every six months"
    YEARLY = "yearly", "Yearly"
    EVERY_2_YEARS = "every_2_years", "Every two years"
    EVERY_3_YEARS = "every_3_years", "Every three years"
    EVERY_4_YEARS = "every_4_years", "Every four years"
    EVERY_5_YEARS = "every_5_years", "Every five years"


# (unit, count) of one billing period: weeks or months. Years are 12-month multiples so
# that a subscription started on the 31st follows the month-end rule consistently.
FREQUENCY_INTERVALS: dict[str, tuple[str, int]] = {
    BillingFrequency.WEEKLY: ("week", 1),
    BillingFrequency.BIWEEKLY: ("week", 2),
    BillingFrequency.MONTHLY: ("month", 1),
    BillingFrequency.QUARTERLY: ("month", 3),
    BillingFrequency.SEMIANNUALLY: ("month", 6),
    BillingFrequency.YEARLY: ("month", 12),
    BillingFrequency.EVERY_2_YEARS: ("month", 24),
    BillingFrequency.EVERY_3_YEARS: ("month", 36),
    BillingFrequency.EVERY_4_YEARS: ("month", 48),
    BillingFrequency.EVERY_5_YEARS: ("month", 60),
}

_EVERY = {
    BillingFrequency.WEEKLY: "every week",
    BillingFrequency.BIWEEKLY: "every two weeks",
    BillingFrequency.MONTHLY: "every month",
    BillingFrequency.QUARTERLY: "every three months",
    BillingFrequency.SEMIANNUALLY: "every six months",
    BillingFrequency.YEARLY: "every year",
    BillingFrequency.EVERY_2_YEARS: "every two years",
    BillingFrequency.EVERY_3_YEARS: "every three years",
    BillingFrequency.EVERY_4_YEARS: "every four years",
    BillingFrequency.EVERY_5_YEARS: "every five years",
}

_PERIOD_NOUN = {
    BillingFrequency.WEEKLY: ("week", "weeks"),
    BillingFrequency.BIWEEKLY: ("two-week period", "two-week periods"),
    BillingFrequency.MONTHLY: ("month", "months"),
    BillingFrequency.QUARTERLY: ("quarter", "quarters"),
    BillingFrequency.SEMIANNUALLY: ("half-year", "half-years"),
    BillingFrequency.YEARLY: ("year", "years"),
}


# "$49.00 / month": the short unit shown after a price in lists.
_PER = {
    BillingFrequency.WEEKLY: "week",
    BillingFrequency.BIWEEKLY: "2 weeks",
    BillingFrequency.MONTHLY: "month",
    BillingFrequency.QUARTERLY: "quarter",
    BillingFrequency.SEMIANNUALLY: "6 months",
    BillingFrequency.YEARLY: "year",
    BillingFrequency.EVERY_2_YEARS: "2 years",
    BillingFrequency.EVERY_3_YEARS: "3 years",
    BillingFrequency.EVERY_4_YEARS: "4 years",
    BillingFrequency.EVERY_5_YEARS: "5 years",
}

MAX_TERM_PERIODS = 1000


def is_recurring(frequency: str) -> bool:
    return frequency != BillingFrequency.ONE_TIME


def schedule_phrase(frequency: str, term_periods: int | None) -> str:
    """'every month for 12 months', 'every year until cancelled', '' for one-time."""
    if not is_recurring(frequency):
        return ""
    every = _EVERY[BillingFrequency(frequency)]
    if not term_periods:
        return f"{every} until cancelled"
    noun = _PERIOD_NOUN.get(BillingFrequency(frequency))
    if noun:
        return f"{every} for {term_periods} {noun[0] if term_periods == 1 else noun[1]}"
    return f"{every}, {term_periods} {'payment' if term_periods == 1 else 'payments'}"


def price_unit(frequency: str) -> str:
    """'month' for monthly, '' for one-time: the part after the slash in "$49.00 / month"."""
    return _PER.get(BillingFrequency(frequency), "") if is_recurring(frequency) else ""


class Product(PortalOwned):
    """An item of the product library. Documents copy it as a line-item snapshot."""

    name = models.CharField(max_length=200)
    sku = models.CharField("SKU", max_length=64, blank=True)
    description = models.TextField(blank=True)
    unit_price = models.BigIntegerField(help_text="Integer cents")
    unit_cost = models.BigIntegerField(null=True, blank=True, help_text="Integer cents")
    currency = models.CharField(max_length=3, default="usd")
    billing_frequency = models.CharField(
        max_length=20, choices=BillingFrequency.choices, default=BillingFrequency.ONE_TIME
    )
    term_periods = models.PositiveIntegerField(
        null=True, blank=True, help_text="Number of billing periods; empty means until cancelled."
    )
    archived = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("sku"),
                "portal",
                condition=~models.Q(sku=""),
                name="product_unique_sku_per_portal",
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0) & models.Q(unit_price__lte=99_999_999),
                name="product_price_in_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(billing_frequency="one_time")
                | models.Q(term_periods__isnull=True),
                name="product_one_time_has_no_term",
            ),
        ]
        indexes = [
            models.Index(fields=["portal", "archived", "name"]),
        ]
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:detail", args=[self.pk])

    @property
    def is_recurring(self) -> bool:
        return is_recurring(self.billing_frequency)

    @property
    def schedule(self) -> str:
        return schedule_phrase(self.billing_frequency, self.term_periods)

    @property
    def price_unit(self) -> str:
        return price_unit(self.billing_frequency)

    @property
    def margin(self) -> int | None:
        """Unit price minus unit cost, in cents; None when the cost is unknown."""
        if self.unit_cost is None:
            return None
        return self.unit_price - self.unit_cost

    @property
    def margin_percent(self) -> int | None:
        """Margin as a whole percentage of the price (for display only)."""
        if self.margin is None or not self.unit_price:
            return None
        return round_half_up(Decimal(self.margin * 100) / Decimal(self.unit_price))
