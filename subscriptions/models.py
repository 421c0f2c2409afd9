"""Subscriptions: recurring line items a buyer agreed to pay, billed period by period.

A checkout creates one Subscription per (billing frequency, term) group of its recurring
lines, with the first period already paid by the checkout. Later periods are billed by
the billing run (subscriptions issue), which adds a BillingCycle per period; the
`next_billing_date`, `periods_billed` and `status` fields are its cursor.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q

from commerce.catalog.models import BillingFrequency, price_unit, schedule_phrase
from commerce.models import PortalOwned


class Subscription(PortalOwned):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        PAUSED = "paused", "Paused"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"

    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.PROTECT, related_name="subscriptions"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    billing_frequency = models.CharField(
        max_length=20, choices=[c for c in BillingFrequency.choices if c[0] != "one_time"]
    )
    term_periods = models.PositiveIntegerField(
        null=True, blank=True, help_text="Number of billing periods; empty means until cancelled."
    )
    currency = models.CharField(max_length=3, default="usd")
    amount = models.BigIntegerField(help_text="Per period, integer cents (sum of the items)")
    start_date = models.DateField(help_text="First day of the first period (portal time zone)")
    next_billing_date = models.DateField(
        null=True, blank=True, help_text="Start of the next unbilled period; empty when done"
    )
    periods_billed = models.PositiveIntegerField(default=0)

    # Direct charges: the customer and card live on the portal's connected account.
    stripe_account_id = models.CharField(max_length=255)
    stripe_customer_id = models.CharField(max_length=255)
    payment_method_id = models.CharField(max_length=255, blank=True)

    source_checkout = models.ForeignKey(
        "payments.Checkout",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subscriptions",
    )
    cancel_at_period_end = models.BooleanField(default=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_billing_date"]),
            models.Index(fields=["portal", "-created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_checkout", "billing_frequency", "term_periods"],
                name="subscription_one_per_checkout_group",
                condition=Q(source_checkout__isnull=False),
            ),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.contact} · {self.schedule}"

    @property
    def schedule(self) -> str:
        return schedule_phrase(self.billing_frequency, self.term_periods)

    @property
    def price_unit(self) -> str:
        return price_unit(self.billing_frequency)

    @property
    def periods_remaining(self) -> int | None:
        if self.term_periods is None:
            return None
        return max(0, self.term_periods - self.periods_billed)


class SubscriptionItem(models.Model):
    """A line of a subscription: a snapshot of the line the buyer paid, priced per period."""

    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=64, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    unit_amount = models.BigIntegerField(help_text="Integer cents")
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    discount_amount = models.BigIntegerField(null=True, blank=True)
    tax_rate = models.DecimalField(max_digits=6, decimal_places=3, default=Decimal(0))
    amount = models.BigIntegerField(help_text="Line total per period, integer cents")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name
