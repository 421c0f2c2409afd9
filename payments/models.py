from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from commerce.actors import VIA_MAX_LENGTH, current_via
from commerce.clock import ClockDateTimeField
from commerce.documents.models import LineSnapshot
from commerce.models import PortalQuerySet
from payments.connect.status import TONES, AccountStatus, account_status


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
    created_at = ClockDateTimeField(auto_now_add=True)
    updated_at = ClockDateTimeField(auto_now=True)

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

    received_at = ClockDateTimeField(auto_now_add=True)
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


class Checkout(models.Model):
    """One buyer's attempt to pay a payment link, quote or invoice.

    The server freezes the order here (lines and totals it computed itself) before it
    creates the PaymentIntent, and derives that PaymentIntent's idempotency key from
    this row, so a double-click, a reload or a second tab reuse the same intent.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PROCESSING = "processing", "Processing"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"
        CANCELED = "canceled", "Canceled"

    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="+")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    source = models.CharField(
        max_length=20,
        choices=[
            ("payment_link", "Payment link"),
            ("quote", "Quote"),
            ("invoice", "Invoice"),
        ],
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    order = models.JSONField(default=dict, help_text="Frozen lines and totals, integer cents")
    amount = models.BigIntegerField(default=0, help_text="Due today, integer cents")
    currency = models.CharField(max_length=3, default="usd")
    email = models.EmailField(blank=True)
    name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    billing_address = models.JSONField(null=True, blank=True)
    shipping_address = models.JSONField(null=True, blank=True)
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stripe_account_id = models.CharField(max_length=255, blank=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    payment_intent_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    client_secret = models.CharField(max_length=255, blank=True)
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Payment links (checkout feature): the link paid, the version of the frozen order
    # (part of the PaymentIntent's idempotency keys; it changes only with the order), the
    # hold on a limited link's last use, and Stripe's message of the last failed attempt.
    payment_link = models.ForeignKey(
        "payments.PaymentLink",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="checkouts",
    )
    order_version = models.PositiveIntegerField(default=1)
    # Quotes and invoices (payments/checkout/documents.py): the document paid, by id within
    # `source`, what the buyer sees it called, and its public page to go back to.
    document_id = models.BigIntegerField(null=True, blank=True)
    description = models.CharField(max_length=300, blank=True)
    return_path = models.CharField(max_length=500, blank=True)
    reserved_until = models.DateTimeField(null=True, blank=True)
    application_fee_amount = models.BigIntegerField(default=0)
    failure_code = models.CharField(max_length=100, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    # The failed attempt those describe (its charge, or its payment method), so the
    # return page and the webhook record one failure once (payment.failed).
    failure_attempt = models.CharField(max_length=255, blank=True)
    created_at = ClockDateTimeField(auto_now_add=True)
    updated_at = ClockDateTimeField(auto_now=True)

    objects = PortalQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["portal", "-created_at"]),
            models.Index(fields=["payment_link", "status"]),
        ]
        constraints = [
            # One checkout in progress per quote or invoice, whichever browser opens it:
            # two tabs or two people never get two PaymentIntents for one document.
            models.UniqueConstraint(
                fields=["source", "document_id"],
                condition=models.Q(document_id__isnull=False, status__in=["open", "processing"]),
                name="one_live_checkout_per_document",
            ),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Checkout {self.public_id} ({self.get_status_display()})"

    @property
    def is_paid(self) -> bool:
        return self.status == self.Status.SUCCEEDED


class Payment(models.Model):
    """Money a buyer paid through the portal's Stripe account (a direct charge).

    `amount` is the gross charged; `fee` and `net` stay empty until fee sync fills them
    from the balance transaction ("pending" in the UI, never zero).
    """

    class Status(models.TextChoices):
        PROCESSING = "processing", "Processing"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        REFUNDED = "refunded", "Refunded"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        DISPUTED = "disputed", "Disputed"

    class Source(models.TextChoices):
        PAYMENT_LINK = "payment_link", "Payment link"
        QUOTE = "quote", "Quote"
        INVOICE = "invoice", "Invoice"
        SUBSCRIPTION = "subscription", "Subscription"

    # Indexed by the (portal, status) and (portal, -created_at) indexes below.
    portal = models.ForeignKey(
        "portals.Portal", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payments",
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    # The checkout (links, quotes, invoices) or billing cycle (subscriptions) it came from.
    checkout = models.ForeignKey(
        "payments.Checkout",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payments",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROCESSING)
    amount = models.BigIntegerField(help_text="Gross, integer cents")
    currency = models.CharField(max_length=3, default="usd")
    refunded_amount = models.BigIntegerField(default=0)
    fee = models.BigIntegerField(null=True, blank=True, help_text="Stripe's fee, once synced")
    net = models.BigIntegerField(
        null=True, blank=True, help_text="Net of fees and refunds, once synced"
    )
    fee_details = models.JSONField(null=True, blank=True)
    application_fee_amount = models.BigIntegerField(default=0)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    stripe_account_id = models.CharField(max_length=255)
    payment_intent_id = models.CharField(max_length=255, unique=True)
    charge_id = models.CharField(max_length=255, blank=True, db_index=True)
    balance_transaction_id = models.CharField(max_length=255, blank=True)
    # Fee sync (payments/fees.py): the charge's balance transaction as Stripe reported it,
    # the dispute adjustments by balance transaction id, and the refunded total Stripe's
    # refund balance transactions add up to. `fee` and `net` are derived from these.
    charge_gross = models.BigIntegerField(null=True, blank=True)
    charge_fee = models.BigIntegerField(null=True, blank=True)
    charge_net = models.BigIntegerField(null=True, blank=True)
    dispute_adjustments = models.JSONField(default=dict, blank=True)
    stripe_refunded = models.BigIntegerField(null=True, blank=True)
    available_on = models.DateTimeField(null=True, blank=True)
    fees_synced_at = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=100, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    description = models.CharField(max_length=300, blank=True)
    # The latest dispute (chargeback) on the charge, mirrored from Stripe by webhook.
    dispute_id = models.CharField(max_length=255, blank=True)
    dispute_status = models.CharField(max_length=40, blank=True)
    dispute_reason = models.CharField(max_length=60, blank=True)
    dispute_amount = models.BigIntegerField(null=True, blank=True)
    dispute_due_by = models.DateTimeField(null=True, blank=True)
    disputed_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = ClockDateTimeField(auto_now_add=True)
    updated_at = ClockDateTimeField(auto_now=True)

    objects = PortalQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["portal", "-created_at"]),
            models.Index(fields=["portal", "status"]),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.payment_intent_id} ({self.get_status_display()})"

    @property
    def refundable_amount(self) -> int:
        return max(0, self.amount - self.refunded_amount)

    @property
    def status_tone(self) -> str:
        return PAYMENT_TONES.get(self.status, "grey")

    @property
    def dispute_reason_label(self) -> str:
        return self.dispute_reason.replace("_", " ")

    @property
    def dispute_open(self) -> bool:
        return bool(self.dispute_id) and self.dispute_status not in DISPUTE_CLOSED_STATUSES


PAYMENT_TONES: dict[str, str] = {
    Payment.Status.PROCESSING: "blue",
    Payment.Status.SUCCEEDED: "green",
    Payment.Status.FAILED: "red",
    Payment.Status.REFUNDED: "grey",
    Payment.Status.PARTIALLY_REFUNDED: "amber",
    Payment.Status.DISPUTED: "red",
}
# docs.stripe.com/api/disputes/object#dispute_object-status
DISPUTE_CLOSED_STATUSES = frozenset({"won", "lost", "warning_closed", "prevented"})


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    class Reason(models.TextChoices):
        REQUESTED_BY_CUSTOMER = "requested_by_customer", "Requested by customer"
        DUPLICATE = "duplicate", "Duplicate"
        FRAUDULENT = "fraudulent", "Fraudulent"

    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="+")
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="refunds")
    amount = models.BigIntegerField(help_text="Integer cents")
    reason = models.CharField(max_length=30, choices=Reason.choices, blank=True)
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # Unique once known; refunds made in Stripe's dashboard arrive by webhook with it.
    stripe_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    idempotency_key = models.CharField(max_length=255, unique=True, null=True, blank=True)
    balance_transaction_id = models.CharField(max_length=255, blank=True)
    # From the refund's balance transaction (negative amounts), once fee sync saw it.
    balance_amount = models.BigIntegerField(null=True, blank=True)
    balance_fee = models.BigIntegerField(null=True, blank=True)
    balance_net = models.BigIntegerField(null=True, blank=True)
    # Why Stripe refused or failed it, in words safe to show the admin.
    failure_message = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What asked for it when it was not a signed-in user (an API key), from commerce.actors.
    via = models.CharField(max_length=VIA_MAX_LENGTH, blank=True, default=current_via)
    created_at = ClockDateTimeField(auto_now_add=True)
    updated_at = ClockDateTimeField(auto_now=True)

    objects = PortalQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["payment", "status"])]

    def __str__(self) -> str:
        return f"Refund {self.amount} of {self.payment_id}"

    @property
    def made_in_stripe(self) -> bool:
        """Made in Stripe's dashboard (arrived by webhook), not from the hub."""
        return not self.idempotency_key

    @property
    def status_tone(self) -> str:
        tones: dict[str, str] = {
            self.Status.SUCCEEDED: "green",
            self.Status.PENDING: "blue",
            self.Status.FAILED: "red",
            self.Status.CANCELED: "grey",
        }
        return tones.get(self.status, "grey")


# --- Payment links (checkout feature) ---------------------------------------------


def new_link_slug() -> str:
    # 24 random bytes: 192 bits, URL-safe (the public URL must be unguessable).
    return secrets.token_urlsafe(24)


class PaymentLink(models.Model):
    """A shareable URL to the hosted checkout for a fixed set of line items.

    Uses and revenue are derived from its succeeded checkouts (aggregate queries), not
    stored counters; a limited link (single use, max payments) is locked while a buyer
    reserves its last use (payments/checkout.py).
    """

    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    slug = models.CharField(max_length=64, unique=True, default=new_link_slug, editable=False)
    active = models.BooleanField(default=True)
    allow_quantity_change = models.BooleanField(default=False)
    min_quantity = models.PositiveIntegerField(default=1)
    max_quantity = models.PositiveIntegerField(default=10)
    collect_billing_address = models.BooleanField(default=False)
    collect_shipping_address = models.BooleanField(default=False)
    collect_phone = models.BooleanField(default=False)
    single_use = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    max_payments = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="usd")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = ClockDateTimeField(auto_now_add=True)
    updated_at = ClockDateTimeField(auto_now=True)

    objects = PortalQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["portal", "-created_at"])]
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_quantity__gte=1) & Q(max_quantity__gte=models.F("min_quantity")),
                name="payment_link_quantity_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def payment_limit(self) -> int | None:
        """How many payments the link takes in all, None for no limit."""
        limits = [n for n in (1 if self.single_use else None, self.max_payments) if n]
        return min(limits) if limits else None


class PaymentLinkLine(LineSnapshot):
    """A line item of a link: a snapshot copied from a product, with its own price terms.
    Later product edits never change it. A link line has no description."""

    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="+")
    link = models.ForeignKey(PaymentLink, on_delete=models.CASCADE, related_name="lines")
    description = None  # type: ignore[assignment]
    # Declared without choices, as the table was made (the form offers the choices).
    billing_frequency = models.CharField(max_length=20, default="one_time")

    class Meta(LineSnapshot.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_amount__gte=0) & Q(unit_amount__lte=99_999_999),
                name="payment_link_line_price_in_range",
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__isnull=True) | Q(discount_amount__isnull=True),
                name="payment_link_line_one_discount",
            ),
        ]


# --- Fee sync ----------------------------------------------------------------------


class FeeSyncState(models.Model):
    """Where fee sync stands for one connected account (payments/fees.py).

    A run lists balance transactions newest first with `created >= cursor`; after every
    page it saves `resume_after` (the last id it applied) and `run_newest` in the same
    transaction as the amounts, so a crash resumes where it stopped. A finished run moves
    `cursor` to `run_newest` minus a small overlap (late arrivals) and records
    `synced_from` = when it started: rows changed after that are "activity".
    `running_since` is claimed with a conditional UPDATE so two runs never overlap.
    """

    account = models.OneToOneField(StripeAccount, on_delete=models.CASCADE, related_name="fee_sync")
    cursor = models.BigIntegerField(null=True, blank=True, help_text="created >= (unix)")
    resume_after = models.CharField(max_length=255, blank=True)
    run_newest = models.BigIntegerField(null=True, blank=True)
    run_started_at = models.DateTimeField(null=True, blank=True)
    running_since = models.DateTimeField(null=True, blank=True)
    synced_from = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0, help_text="Pages read by the last run")
    applied = models.PositiveIntegerField(default=0, help_text="Transactions matched, last run")
    updated_at = ClockDateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Fee sync of {self.account_id}"


# Payouts live in their own package; imported here so Django finds them in this app.
from payments.payouts.models import Payout, PayoutLine, PayoutSyncState  # noqa: E402, F401
