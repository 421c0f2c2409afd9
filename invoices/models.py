"""Invoices: a numbered bill to one contact, built from one-time line-item snapshots.

Status machine (one service per transition in `invoices.services`):

    draft → open (finalized: numbered, locked, public link)
    open ↔ partially paid → paid          (payments: manual or online)
    open / partially paid → past due       (the day after the due date, portal time zone)
    open / past due → void                 (only without payments)
    open / partially paid / past due → uncollectible
    deleting a manual payment reopens: open / partially paid / past due, as the dates say
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from commerce.clock import ClockDateTimeField
from commerce.documents.models import (
    Document,
    LineSnapshot,
    TimelineEntry,
    line_constraints,
    tones,
)

DEFAULT_PREFIX = "INV-"


class InvoiceSettings(models.Model):
    """Per-portal invoice settings. `last_number` is locked with SELECT … FOR UPDATE at
    finalization, so numbers are gapless and unique even when invoices finalize at once."""

    portal = models.OneToOneField(
        "portals.Portal", on_delete=models.CASCADE, related_name="invoice_settings"
    )
    prefix = models.CharField(
        max_length=12,
        default=DEFAULT_PREFIX,
        help_text="Printed before the number: INV-0001. Letters, digits and - / . only.",
    )
    last_number = models.PositiveIntegerField(default=0, editable=False)
    default_memo = models.TextField(blank=True, help_text="Pre-filled on every new invoice.")
    allow_partial_payments = models.BooleanField(
        default=False, help_text="Buyers may pay part of the amount due online."
    )
    # Reminders to the contact; None switches a kind off.
    remind_days_before = models.PositiveIntegerField(
        null=True, blank=True, default=3, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    remind_on_due_date = models.BooleanField(default=True)
    remind_every_days_after = models.PositiveIntegerField(
        null=True, blank=True, default=7, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    remind_max_after = models.PositiveIntegerField(
        default=3, validators=[MinValueValidator(0), MaxValueValidator(20)]
    )

    def __str__(self) -> str:
        return f"Invoice settings of {self.portal}"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAST_DUE = "past_due", "Past due"
    PAID = "paid", "Paid"
    VOID = "void", "Void"
    UNCOLLECTIBLE = "uncollectible", "Uncollectible"


# Finalized and still waiting for money: reminders go out, the amount due counts.
UNPAID_STATUSES = [InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAST_DUE]


class PaymentTerms(models.TextChoices):
    DUE_ON_RECEIPT = "due_on_receipt", "Due on receipt"
    NET_15 = "net_15", "Net 15"
    NET_30 = "net_30", "Net 30"
    NET_45 = "net_45", "Net 45"
    NET_60 = "net_60", "Net 60"
    CUSTOM = "custom", "Custom date"


TERM_DAYS = {
    PaymentTerms.DUE_ON_RECEIPT: 0,
    PaymentTerms.NET_15: 15,
    PaymentTerms.NET_30: 30,
    PaymentTerms.NET_45: 45,
    PaymentTerms.NET_60: 60,
}


class Invoice(Document):
    STATUS_TONES = tones(
        grey=[InvoiceStatus.DRAFT, InvoiceStatus.VOID],
        blue=[InvoiceStatus.OPEN],
        amber=[InvoiceStatus.PARTIALLY_PAID],
        red=[InvoiceStatus.PAST_DUE, InvoiceStatus.UNCOLLECTIBLE],
        green=[InvoiceStatus.PAID],
    )

    # Null while a draft: the number is handed out at finalization, inside its transaction.
    number = models.PositiveIntegerField(null=True, blank=True)
    number_prefix = models.CharField(max_length=12, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    issue_date = models.DateField()
    payment_terms = models.CharField(
        max_length=20, choices=PaymentTerms.choices, default=PaymentTerms.NET_30
    )
    due_date = models.DateField()
    memo = models.TextField(blank=True)
    # Totals of the lines, integer cents, kept with the lines by the services (lists,
    # aggregates and exports read them without pricing every invoice again).
    subtotal = models.BigIntegerField(default=0)
    discount_total = models.BigIntegerField(default=0)
    tax_total = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    amount_paid = models.BigIntegerField(default=0)

    finalized_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    uncollectible_at = models.DateTimeField(null=True, blank=True)
    source_quote = models.OneToOneField(
        "quotes.Quote", null=True, blank=True, on_delete=models.SET_NULL, related_name="invoice"
    )
    duplicated_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(Document.Meta):
        constraints = [
            models.UniqueConstraint(fields=["portal", "number"], name="invoice_unique_number"),
            models.CheckConstraint(
                condition=models.Q(due_date__gte=models.F("issue_date")),
                name="invoice_due_after_issue",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_paid__gte=0), name="invoice_paid_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["portal", "status", "due_date"]),
            models.Index(fields=["portal", "-created_at"]),
        ]

    def __str__(self) -> str:
        return self.display_number

    def get_absolute_url(self) -> str:
        return reverse("invoices:detail", args=[self.pk])

    @property
    def display_number(self) -> str:
        if self.number is None:
            return "Draft invoice"
        return f"{self.number_prefix}{self.number:04d}"

    @property
    def amount_due(self) -> int:
        if self.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
            return 0
        return max(self.total - self.amount_paid, 0)

    def is_overdue_on(self, today: dt.date) -> bool:
        return self.status in UNPAID_STATUSES and today > self.due_date


class InvoiceLine(LineSnapshot):
    """A one-time line-item snapshot on an invoice: an invoice bills once, so its lines are
    always one-time (billing frequency and term are kept for the shared pricing and line
    editor, and show no schedule)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")

    class Meta(LineSnapshot.Meta):
        constraints = line_constraints("invoiceline")


class PaymentMethod(models.TextChoices):
    CARD = "card", "Card (online)"
    CASH = "cash", "Cash"
    CHEQUE = "cheque", "Cheque"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    OTHER = "other", "Other"


MANUAL_METHODS = [
    PaymentMethod.CASH,
    PaymentMethod.CHEQUE,
    PaymentMethod.BANK_TRANSFER,
    PaymentMethod.OTHER,
]


class InvoicePayment(models.Model):
    """Money received against an invoice: recorded by hand, or online (card) through the
    hosted checkout, then linked to the payments.Payment."""

    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="payments")
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    amount = models.BigIntegerField(help_text="Integer cents")
    paid_on = models.DateField()
    reference = models.CharField(max_length=200, blank=True)
    payment = models.OneToOneField(
        "payments.Payment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invoice_payment",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paid_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="invoicepayment_amount_positive"
            ),
        ]
        indexes = [models.Index(fields=["portal", "paid_on"])]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount} on {self.invoice_id}"

    @property
    def is_manual(self) -> bool:
        return self.method != PaymentMethod.CARD


class InvoiceEvent(TimelineEntry):
    """The invoice's timeline: every transition, payment and e-mail, with who did it."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Edited"
        DUPLICATED = "duplicated", "Duplicated"
        CONVERTED = "converted", "Created from a quote"
        FINALIZED = "finalized", "Finalized"
        SENT = "sent", "Sent to the contact"
        REMINDED = "reminded", "Reminder sent"
        PAYMENT = "payment", "Payment recorded"
        PAYMENT_DELETED = "payment_deleted", "Payment deleted"
        PAID = "paid", "Paid"
        PAST_DUE = "past_due", "Past due"
        VOIDED = "voided", "Voided"
        UNCOLLECTIBLE = "uncollectible", "Marked uncollectible"

    TONES = tones(
        green=[Kind.PAID, Kind.PAYMENT],
        red=[Kind.VOIDED, Kind.UNCOLLECTIBLE, Kind.PAYMENT_DELETED],
        amber=[Kind.PAST_DUE, Kind.REMINDED],
        blue=[Kind.FINALIZED, Kind.SENT],
    )

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.invoice_id})"


class InvoiceReminder(models.Model):
    """One reminder e-mail, claimed by inserting this row before the e-mail is enqueued:
    the unique (invoice, kind, sequence) makes a second run, or a concurrent one, a no-op."""

    class Kind(models.TextChoices):
        BEFORE_DUE = "before_due", "Before the due date"
        ON_DUE = "on_due", "On the due date"
        AFTER_DUE = "after_due", "After the due date"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sequence = models.PositiveIntegerField(default=0)
    sent_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "kind", "sequence"], name="invoicereminder_once"
            ),
        ]
        ordering = ["sent_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.sequence} ({self.invoice_id})"
