from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from commerce.models import PortalQuerySet

from .status import TONES, AccountStatus, account_status


class StripeAccount(models.Model):
    """A portal's connected Stripe account (one current account per portal).

    The Stripe fields mirror the last account object we fetched; `status` is computed
    from them (payments/status.py) and stored so lists and checks cost no Stripe call.
    A disconnected account keeps its row, so past payments keep pointing at it.
    """

    portal = models.ForeignKey(
        "portals.Portal", on_delete=models.CASCADE, related_name="stripe_accounts"
    )
    stripe_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(
        max_length=32, choices=AccountStatus.choices, default=AccountStatus.ONBOARDING_INCOMPLETE
    )
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    requirements = models.JSONField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=100, blank=True)
    business_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    livemode = models.BooleanField(default=False)

    terms_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    terms_accepted_ip = models.GenericIPAddressField(null=True, blank=True)

    disconnected_at = models.DateTimeField(null=True, blank=True)
    disconnected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    disconnect_reason = models.CharField(max_length=200, blank=True)
    # Deauthorized in Stripe (or account_invalid): this account can never be used again.
    revoked = models.BooleanField(default=False)

    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PortalQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["portal"],
                condition=Q(disconnected_at__isnull=True),
                name="stripe_account_one_connected_per_portal",
            ),
        ]
        indexes = [models.Index(fields=["status"])]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.stripe_id} ({self.get_status_display()})"

    @property
    def is_disconnected(self) -> bool:
        return self.disconnected_at is not None

    @property
    def can_transact(self) -> bool:
        return self.status == AccountStatus.READY

    @property
    def tone(self) -> str:
        return TONES[AccountStatus(self.status)]

    def as_payload(self) -> dict:
        return {
            "details_submitted": self.details_submitted,
            "charges_enabled": self.charges_enabled,
            "payouts_enabled": self.payouts_enabled,
            "requirements": self.requirements,
        }

    def recompute_status(self) -> AccountStatus:
        self.status = account_status(self.as_payload(), disconnected=self.is_disconnected)
        return AccountStatus(self.status)


class StripeEvent(models.Model):
    """A webhook event, stored raw before it is processed (dj-stripe's pattern).

    The unique Stripe id makes a duplicate delivery a no-op; `processed_at` is set once
    a handler has applied it. `attempts`, `last_error` and `next_attempt_at` drive the
    sweeper's retries and the operator's view.
    """

    class Source(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        RECONCILE = "reconcile", "Reconcile"

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    account = models.CharField(
        max_length=255, blank=True, help_text="Connected account, empty for the platform"
    )
    portal = models.ForeignKey(
        "portals.Portal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stripe_events",
    )
    livemode = models.BooleanField(default=False)
    api_version = models.CharField(max_length=40, blank=True)
    created = models.DateTimeField(help_text="When Stripe created the event")
    payload = models.JSONField()
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.WEBHOOK)

    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    objects = PortalQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["portal", "-created"]),
            models.Index(fields=["account"]),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(processed_at__isnull=True),
                name="stripe_event_pending",
            ),
        ]
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_id}"

    @property
    def state(self) -> str:
        if self.processed_at:
            return "processed"
        if self.attempts and self.attempts >= settings.STRIPE_EVENT_MAX_ATTEMPTS:
            return "failed"
        if self.attempts:
            return "retrying"
        return "pending"

    @property
    def object_id(self) -> str:
        return ((self.payload.get("data") or {}).get("object") or {}).get("id", "")
