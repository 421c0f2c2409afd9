"""API keys of a portal and the stored first responses of idempotent requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from commerce.clock import ClockDateTimeField


class ApiKey(models.Model):
    """A secret that acts for its portal with exactly its scopes.

    Only the SHA-256 of the secret is stored. The secret is 32 random url-safe bytes
    (about 190 bits), so nobody can guess it and a slow password hash would add nothing
    but a cost on every request: a fast hash is the right tool for a high-entropy token.
    `prefix` is the first characters, shown in the list so a person can tell keys apart.
    """

    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=20)
    secret_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = ClockDateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["portal", "created_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """The first response to a POST with an `Idempotency-Key`, per API key, for 24 hours.

    The row is inserted before the request runs, in the request's transaction: the unique
    constraint makes a second request with the same key wait for the first, then fail to
    insert, so two requests with one key never both execute.
    """

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # The body as sent, byte for byte (a JSON column would reorder its keys).
    body = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="api_idempotency_unique_key")
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return self.key
