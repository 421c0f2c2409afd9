"""The abstract models every document shares: the document itself and its timeline
entry (quotes, invoices), and the line-item snapshot (quotes, invoices, payment links,
subscription items).

Abstract only: each concrete model lives in its own app and keeps its own table."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models

from commerce.actors import VIA_MAX_LENGTH, current_via
from commerce.catalog.models import BillingFrequency, schedule_phrase
from commerce.clock import ClockDateTimeField
from commerce.models import PortalOwned

DRAFT = "draft"  # every kind of document starts as a draft, the only editable status


class Document(PortalOwned):
    """What every document has: a status of its kind (each with the colour of its badge
    in `STATUS_TONES`), the contact it is for, its currency, the buyer's link (an
    unguessable token, set once it goes to the buyer) and when it was sent and paid."""

    STATUS_TONES: ClassVar[dict[str, str]] = {}

    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(max_length=3, default="usd")
    public_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def status_tone(self) -> str:
        return self.STATUS_TONES[getattr(self, "status", DRAFT)]

    @property
    def is_locked(self) -> bool:
        return getattr(self, "status", DRAFT) != DRAFT


class LineSnapshot(models.Model):
    """A line item copied from the library onto a document: editing the product later
    never changes the document. Concrete lines add their document's foreign key and their
    own constraints (`line_constraints`); a line kind without a field sets it to None."""

    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=64, blank=True)
    description = models.TextField(blank=True)
    quantity = models.PositiveIntegerField(default=1)
    unit_amount = models.BigIntegerField(help_text="Integer cents")
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    discount_amount = models.BigIntegerField(null=True, blank=True, help_text="Integer cents")
    tax_rate = models.DecimalField(max_digits=6, decimal_places=3, default=Decimal(0))
    billing_frequency = models.CharField(
        max_length=20, choices=BillingFrequency.choices, default=BillingFrequency.ONE_TIME
    )
    term_periods = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def schedule(self) -> str:
        return schedule_phrase(self.billing_frequency, self.term_periods)

    @property
    def tax_rate_display(self) -> str:
        """8.250 → '8.25', 10.000 → '10' (no trailing zeros, never scientific)."""
        return f"{Decimal(self.tax_rate).normalize():f}"


def line_constraints(prefix: str) -> list[models.BaseConstraint]:
    """The checks of a document's lines, named after the concrete model ("quoteline")."""
    return [
        models.CheckConstraint(
            condition=models.Q(unit_amount__gte=0), name=f"{prefix}_price_not_negative"
        ),
        models.CheckConstraint(
            condition=models.Q(tax_rate__gte=0) & models.Q(tax_rate__lte=100),
            name=f"{prefix}_tax_rate_range",
        ),
    ]


def tones(**kinds: Iterable[str]) -> dict[str, str]:
    """{kind: tone} of a timeline from the kinds of each tone: tones(green=[…], red=[…])."""
    return {kind: tone for tone, group in kinds.items() for kind in group}


class TimelineEntry(models.Model):
    """One line of a document's timeline: what happened (the concrete model's `kind`,
    with its own choices), a detail, who did it and when. Newest first.

    `TONES` maps a kind to the colour of its dot on the timeline (green, red, amber,
    blue); kinds left out are grey."""

    TONES: ClassVar[dict[str, str]] = {}

    detail = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What acted when it was not a signed-in user (an API key), from commerce.actors.
    via = models.CharField(max_length=VIA_MAX_LENGTH, blank=True, default=current_via)
    created_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def tone(self) -> str:
        return self.TONES.get(getattr(self, "kind", ""), "")
