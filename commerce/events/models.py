"""The event log (an outbox) and its delivery to the webhook endpoints of a portal.

`Event`: one row per domain change, written in the change's own transaction by
`commerce.events.services.event_record`. `WebhookEndpoint`: a URL a super admin
configured. `Delivery`: one event to one endpoint, with a stable `message_id` (the
`webhook-id` header of every attempt); `DeliveryAttempt`: each POST and its answer.

Pending work is found through partial indexes (events not fanned out yet, deliveries
still pending), so delivered rows are never scanned, however many there are. Indexes a
neighbour already covers are left out (each one is written on every insert and on every
update that changes an indexed column): foreign keys that lead a composite index get
none of their own, and unique ids are constraints, without the LIKE index Django adds to
a `unique` CharField on PostgreSQL.
"""

from __future__ import annotations

import secrets
from base64 import urlsafe_b64encode

from django.db import models

from commerce.clock import ClockDateTimeField, hub_now
from commerce.models import PortalOwned

from .bulk import AnyOf


def new_event_id() -> str:
    return f"evt_{secrets.token_urlsafe(18)}"


def new_message_id() -> str:
    return f"msg_{secrets.token_urlsafe(18)}"


def new_message_ids(count: int) -> list[str]:
    """`count` new_message_id()s, from one read of the system's random source."""
    raw = secrets.token_bytes(18 * count)
    return [f"msg_{urlsafe_b64encode(raw[i : i + 18]).decode()}" for i in range(0, 18 * count, 18)]


class Event(models.Model):
    public_id = models.CharField(max_length=40, default=new_event_id)
    # Covered by event_portal_created and event_object.
    portal = models.ForeignKey(
        "portals.Portal", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    type = models.CharField(max_length=64)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    created = models.DateTimeField(default=hub_now)
    data = models.JSONField(default=dict)
    # Set once deliveries exist for every endpoint that wanted the event (fan-out).
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["public_id"], name="event_public_id")]
        indexes = [
            models.Index(fields=["portal", "created", "id"], name="event_portal_created"),
            models.Index(fields=["portal", "object_type", "object_id"], name="event_object"),
            models.Index(
                fields=["id"],
                condition=models.Q(fanned_out_at__isnull=True),
                name="event_not_fanned_out",
            ),
        ]
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.public_id}"


class WebhookEndpoint(PortalOwned):
    url = models.URLField("URL", max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # The event types it wants; empty means every type.
    event_types = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(default=True)
    # Stored as is: a self-hosted hub's database is as trusted as its settings.
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    # The first failed attempt since the last success; None while healthy.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["portal", "created_at"])]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed"

    # The event's portal, copied (it never changes). No index of its own: deliveries are
    # read by endpoint or by id, and the hub never deletes a portal (a delete from
    # Django's admin would scan this table).
    portal = models.ForeignKey(
        "portals.Portal", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Covered by delivery_once_per_endpoint (event, endpoint).
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    # Covered by delivery_recent (endpoint, created_at, id).
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    message_id = models.CharField(max_length=40, default=new_message_id)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # When a pending delivery is next due. None while its endpoint is disabled (paused)
    # and once it is no longer pending.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set when a worker claims it, cleared when the attempt is recorded: a worker killed
    # mid-delivery leaves it due again once the lease runs out. Not indexed, so that a
    # claim writes no index entry (PostgreSQL can update the row in place, HOT).
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = ClockDateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "endpoint"], name="delivery_once_per_endpoint"
            ),
            models.UniqueConstraint(fields=["message_id"], name="delivery_message_id"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="delivery_due",
            ),
            models.Index(fields=["endpoint", "-created_at", "-id"], name="delivery_recent"),
            models.Index(
                fields=["endpoint"],
                condition=models.Q(status="pending"),
                name="delivery_pending_endpoint",
            ),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.message_id


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    # The first 2 KB of the answer, as text; shown escaped.
    response_body = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.attempted_at}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


# `pk__any_of=ids`: one array parameter on PostgreSQL, for the batches of the hot path.
Delivery._meta.pk.register_lookup(AnyOf)  # type: ignore[union-attr]
