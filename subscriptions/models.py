"""Subscriptions: recurring line items a buyer agreed to pay, billed period by period.

A checkout creates one Subscription per (billing frequency, term) group of its recurring
lines, with the first period already paid by the checkout. Later periods are billed by
the billing run (subscriptions issue), which adds a BillingCycle per period; the
`next_billing_date`, `periods_billed` and `status` fields are its cursor.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from commerce.actors import VIA_MAX_LENGTH, current_via
from commerce.catalog.models import BillingFrequency, price_unit, schedule_phrase
from commerce.documents.models import LineSnapshot
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

    # Billing run cursor beyond next_billing_date: when a past-due period is retried
    # next, and which run holds the subscription (a lease, so a crashed worker's claim
    # expires and a redelivered task of the same id can take it back).
    retry_at = models.DateTimeField(null=True, blank=True)
    billing_lease_until = models.DateTimeField(null=True, blank=True)
    billing_lease_owner = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            # The billing run's due listing reads only these (tests/subscriptions/
            # test_billing_plan.py checks PostgreSQL's plan).
            models.Index(fields=["status", "next_billing_date"], name="subscription_due_idx"),
            models.Index(fields=["status", "retry_at"], name="subscription_retry_idx"),
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
    def status_tone(self) -> str:
        return {
            "active": "green",
            "scheduled": "blue",
            "past_due": "red",
            "paused": "amber",
            "cancelled": "grey",
            "completed": "grey",
        }.get(self.status, "grey")

    @property
    def periods_remaining(self) -> int | None:
        if self.term_periods is None:
            return None
        return max(0, self.term_periods - self.periods_billed)


class SubscriptionItem(LineSnapshot):
    """A line of a subscription: a snapshot of the line the buyer paid, priced per period.
    The subscription holds the billing frequency and term; an item has no description."""

    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="items")
    description = None  # type: ignore[assignment]
    billing_frequency = None  # type: ignore[assignment]
    term_periods = None  # type: ignore[assignment]
    # Declared as the table was made: no help text.
    discount_amount = models.BigIntegerField(null=True, blank=True)
    amount = models.BigIntegerField(help_text="Line total per period, integer cents")

    class Meta(LineSnapshot.Meta):
        pass


class SubscriptionSettings(PortalOwned):
    """Per-portal dunning policy (one row per portal, created on first use)."""

    class AfterLastFailure(models.TextChoices):
        CANCEL = "cancel", "Cancel the subscription"
        UNPAID = "unpaid", "Leave it unpaid (past due, no more retries)"

    retry_attempts = models.PositiveIntegerField(
        default=8, help_text="Retries after a failed charge"
    )
    retry_window_days = models.PositiveIntegerField(
        default=14, help_text="Days from the first failure to the last retry"
    )
    after_last_failure = models.CharField(
        max_length=10, choices=AfterLastFailure.choices, default=AfterLastFailure.CANCEL
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["portal"], name="subscription_settings_one_per_portal")
        ]

    def __str__(self) -> str:
        return f"Subscription settings of {self.portal}"


class BillingCycle(PortalOwned):
    """One billing period of a subscription (1-based `period`, unique per subscription),
    created before Stripe is called so a crash always leaves a row to resolve."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        RETRYING = "retrying", "Retrying"
        FAILED = "failed", "Failed"

    # Indexed by the (subscription, period) unique constraint, which leads with it.
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="billing_cycles", db_index=False
    )
    period = models.PositiveIntegerField()
    period_start = models.DateField()
    amount = models.BigIntegerField(help_text="Integer cents, frozen when the cycle is created")
    currency = models.CharField(max_length=3, default="usd")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    first_failed_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period"], name="billing_cycle_one_per_period"
            )
        ]
        ordering = ["-period"]

    def __str__(self) -> str:
        return f"{self.subscription_id} period {self.period}"


class BillingAttempt(PortalOwned):
    """One charge of a cycle: its own idempotency key, so a retry is a new charge and a
    re-sent attempt (crash, redelivery) is the same one."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        REQUIRES_ACTION = "requires_action", "Needs authentication"

    # Indexed by the (cycle, number) unique constraint, which leads with it.
    cycle = models.ForeignKey(
        BillingCycle, on_delete=models.CASCADE, related_name="attempts", db_index=False
    )
    number = models.PositiveIntegerField()
    idempotency_key = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    failure_code = models.CharField(max_length=100, blank=True)
    decline_code = models.CharField(max_length=100, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "number"], name="billing_attempt_one_per_number"
            )
        ]
        ordering = ["-number"]

    def __str__(self) -> str:
        return self.idempotency_key


class SubscriptionEvent(PortalOwned):
    """The timeline of a subscription: charges, failures, changes, by whom."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    message = models.CharField(max_length=500)
    actor = models.ForeignKey(
        "portals.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What acted when it was not a signed-in user (an API key), from commerce.actors.
    via = models.CharField(max_length=VIA_MAX_LENGTH, blank=True, default=current_via)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.message
