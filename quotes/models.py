"""Quotes: a numbered offer to one contact, built from line-item snapshots.

Status machine (one service per transition in `quotes.services`):

    draft → published → accepted → paid
                      ↘ declined
                      ↘ expired
    published / declined / expired → draft (revert; the public link stops working)
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

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

DEFAULT_EXPIRY_DAYS = 30
REMINDER_DAYS_BEFORE_EXPIRY = 3


class QuoteSettings(models.Model):
    """Per-portal quote defaults (kept in this app so the portals app stays untouched)."""

    portal = models.OneToOneField(
        "portals.Portal", on_delete=models.CASCADE, related_name="quote_settings"
    )
    default_expiry_days = models.PositiveIntegerField(
        default=DEFAULT_EXPIRY_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="New quotes expire this many days after they are created.",
    )
    default_terms = models.TextField(blank=True, help_text="Pre-filled on every new quote.")
    # The last quote number handed out; locked with SELECT … FOR UPDATE to number gaplessly.
    last_number = models.PositiveIntegerField(default=0, editable=False)

    def __str__(self) -> str:
        return f"Quote settings of {self.portal}"


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ACCEPTED = "accepted", "Accepted"
    PAID = "paid", "Paid"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"


class Quote(Document):
    STATUS_TONES = tones(
        grey=[QuoteStatus.DRAFT],
        blue=[QuoteStatus.PUBLISHED],
        green=[QuoteStatus.ACCEPTED, QuoteStatus.PAID],
        red=[QuoteStatus.DECLINED],
        amber=[QuoteStatus.EXPIRED],
    )

    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)
    expires_on = models.DateField()
    terms = models.TextField(blank=True)
    comments = models.TextField(blank=True)
    requires_payment = models.BooleanField(default=True)
    # The quote-level discount, applied after the line discounts (see quotes.pricing).
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    discount_amount = models.BigIntegerField(null=True, blank=True, help_text="Integer cents")

    published_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_name = models.CharField(max_length=200, blank=True)
    accepted_ip = models.GenericIPAddressField(null=True, blank=True)
    accepted_user_agent = models.CharField(max_length=500, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    payment = models.ForeignKey(
        "payments.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    cloned_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(Document.Meta):
        constraints = [
            models.UniqueConstraint(fields=["portal", "number"], name="quote_unique_number"),
            models.CheckConstraint(
                condition=models.Q(discount_percent__isnull=True)
                | models.Q(discount_amount__isnull=True),
                name="quote_one_discount_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["portal", "status", "expires_on"]),
            models.Index(fields=["portal", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.display_number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("quotes:detail", args=[self.pk])

    @property
    def display_number(self) -> str:
        return f"Q-{self.number:04d}"

    def expires_at(self, time_zone: str) -> dt.datetime:
        """The end of the expiry date in the portal's time zone: the first instant it is over."""
        next_day = self.expires_on + dt.timedelta(days=1)
        return dt.datetime.combine(next_day, dt.time.min, tzinfo=ZoneInfo(time_zone))

    def is_past_expiry(self, now: dt.datetime, time_zone: str) -> bool:
        return now >= self.expires_at(time_zone)


class QuoteLine(LineSnapshot):
    """A line-item snapshot on a quote."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    class Meta(LineSnapshot.Meta):
        constraints = line_constraints("quoteline")


class QuoteEvent(TimelineEntry):
    """The quote's timeline: every transition and every e-mail, with who did it."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Edited"
        PUBLISHED = "published", "Published"
        REVERTED = "reverted", "Reverted to draft"
        SENT = "sent", "Sent to the buyer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"
        PAID = "paid", "Paid"
        CLONED = "cloned", "Cloned"
        REMINDED = "reminded", "Expiry reminder sent"

    TONES = tones(
        green=[Kind.ACCEPTED, Kind.PAID],
        red=[Kind.DECLINED],
        amber=[Kind.EXPIRED, Kind.REMINDED],
        blue=[Kind.PUBLISHED, Kind.SENT],
    )

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.quote_id})"


class QuoteNotice(models.Model):
    """An in-hub notice for one user (the quote's owner): shown on the quotes list until
    dismissed. Deliberately small; a hub-wide notification centre can replace it."""

    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="notices")
    text = models.CharField(max_length=300)
    created_at = ClockDateTimeField(auto_now_add=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["portal", "user", "dismissed_at"])]

    def __str__(self) -> str:
        return self.text
