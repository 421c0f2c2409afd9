"""Payouts: what Stripe paid to the portal's bank, and the balance transactions in each.

Imported by payments/models.py (the app's models module), so Django finds them there.
"""

from __future__ import annotations

from django.db import models

from commerce.clock import ClockDateTimeField
from commerce.models import PortalQuerySet


class Payout(models.Model):
    """A Stripe Payout of the portal's connected account (docs.stripe.com/api/payouts).

    `lines_synced_at` is set once the balance transactions of a paid (or failed) payout
    have been read; `lines_net` is their net total, which must equal `amount`;
    `unknown_lines` counts the lines the hub could not tie to one of its records.
    """

    class Status(models.TextChoices):
        # docs.stripe.com/api/payouts/object#payout_object-status
        PENDING = "pending", "Pending"
        IN_TRANSIT = "in_transit", "In transit"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    portal = models.ForeignKey(
        "portals.Portal", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    account = models.ForeignKey(
        "payments.StripeAccount", on_delete=models.CASCADE, related_name="payouts"
    )
    stripe_id = models.CharField(max_length=255, unique=True)
    amount = models.BigIntegerField(help_text="Integer cents paid to the bank")
    currency = models.CharField(max_length=3, default="usd")
    status = models.CharField(max_length=20, choices=Status.choices)
    arrival_date = models.DateField()
    stripe_created = models.DateTimeField()
    method = models.CharField(max_length=20, blank=True)
    automatic = models.BooleanField(default=True)
    bank_name = models.CharField(max_length=200, blank=True)
    bank_last4 = models.CharField(max_length=4, blank=True)
    balance_transaction_id = models.CharField(max_length=255, blank=True)
    failure_code = models.CharField(max_length=100, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    lines_synced_at = models.DateTimeField(null=True, blank=True)
    lines_count = models.PositiveIntegerField(default=0)
    lines_net = models.BigIntegerField(null=True, blank=True)
    unknown_lines = models.PositiveIntegerField(default=0)
    failure_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = ClockDateTimeField(auto_now_add=True)
    updated_at = ClockDateTimeField(auto_now=True)

    objects = PortalQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["portal", "-arrival_date"])]
        ordering = ["-arrival_date", "-stripe_created", "-id"]

    def __str__(self) -> str:
        return f"{self.stripe_id} ({self.get_status_display()})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def status_tone(self) -> str:
        return PAYOUT_TONES.get(self.status, "grey")

    @property
    def lines_pending(self) -> bool:
        return self.lines_synced_at is None

    @property
    def difference(self) -> int | None:
        """How far the lines' net is from the amount paid (None until lines are read)."""
        if self.lines_net is None:
            return None
        return self.amount - self.lines_net

    @property
    def reconciled(self) -> bool:
        return self.lines_synced_at is not None and self.difference == 0 and not self.unknown_lines


FINAL_STATUSES = frozenset({Payout.Status.PAID, Payout.Status.FAILED, Payout.Status.CANCELED})
PAYOUT_TONES: dict[str, str] = {
    Payout.Status.PENDING: "blue",
    Payout.Status.IN_TRANSIT: "blue",
    Payout.Status.PAID: "green",
    Payout.Status.FAILED: "red",
    Payout.Status.CANCELED: "grey",
}


class PayoutLine(models.Model):
    """One balance transaction paid out in a payout, tied to the hub's record when known."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment"
        REFUND = "refund", "Refund"
        DISPUTE = "dispute", "Dispute"
        FEE = "fee", "Stripe fee"
        PAYOUT_FAILURE = "payout_failure", "Returned payout"
        OTHER = "other", "Other"

    portal = models.ForeignKey(
        "portals.Portal", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="lines")
    balance_transaction_id = models.CharField(max_length=255)
    type = models.CharField(max_length=40, help_text="Stripe's balance transaction type")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.BigIntegerField(help_text="Gross, integer cents")
    fee = models.BigIntegerField(default=0)
    net = models.BigIntegerField()
    source_id = models.CharField(max_length=255, blank=True)
    description = models.CharField(max_length=500, blank=True)
    stripe_created = models.DateTimeField()
    payment = models.ForeignKey(
        "payments.Payment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refund = models.ForeignKey(
        "payments.Refund", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    known = models.BooleanField(default=False, help_text="Tied to a record of the hub")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["payout", "balance_transaction_id"], name="payout_line_once"
            )
        ]
        ordering = ["stripe_created", "id"]

    def __str__(self) -> str:
        return f"{self.balance_transaction_id} in {self.payout_id}"


class PayoutSyncState(models.Model):
    """Where the payout sync stands for one connected account (payments/payouts/services.py).

    `cursor`: payouts created at or after it are listed again (the oldest payout not
    final yet, or the newest seen); `active_from`: a week before the last successful run
    started, so money moved after it makes the account due again; `running_since` is claimed with a
    conditional UPDATE so two runs never overlap.
    """

    account = models.OneToOneField(
        "payments.StripeAccount", on_delete=models.CASCADE, related_name="payout_sync"
    )
    cursor = models.BigIntegerField(null=True, blank=True, help_text="created >= (unix)")
    running_since = models.DateTimeField(null=True, blank=True)
    active_from = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    calls = models.PositiveIntegerField(default=0, help_text="Stripe calls of the last run")
    updated_at = ClockDateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Payout sync of {self.account_id}"
