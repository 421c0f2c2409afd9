"""Writes of API keys: create (the secret is returned once, never stored) and revoke."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from commerce.clock import hub_now
from commerce.portals.models import Portal, User

from . import keycache
from .models import ApiKey
from .scopes import SCOPES

SECRET_PREFIX = "chk_live_"
VISIBLE_PREFIX_LENGTH = len(SECRET_PREFIX) + 6


def secret_hash(secret: str) -> str:
    """SHA-256 of a key's secret. The secret carries 256 random bits, beyond any search,
    so a fast hash is right: a slow password hash would only cost every API request."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    secret: str  # shown to the person once, then forgotten


@transaction.atomic
def key_create(
    *,
    portal: Portal,
    name: str,
    scopes: list[str],
    created_by: User | None = None,
    expires_at: datetime | None = None,
) -> CreatedKey:
    """Makes a key of `portal` with exactly `scopes`; returns it with its secret, which is
    stored only as a hash. Raises ValidationError for an unknown scope or a past expiry."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValidationError({"scopes": f"Unknown scopes: {', '.join(unknown)}."})
    if not scopes:
        raise ValidationError({"scopes": "Choose at least one scope."})
    if expires_at is not None and expires_at <= hub_now():
        raise ValidationError({"expires_at": "Choose an expiry in the future."})
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        portal=portal,
        name=name.strip(),
        prefix=secret[:VISIBLE_PREFIX_LENGTH],
        secret_hash=secret_hash(secret),
        scopes=[scope for scope in SCOPES if scope in scopes],
        created_by=created_by,
        expires_at=expires_at,
    )
    return CreatedKey(key=key, secret=secret)


@transaction.atomic
def key_revoke(*, key: ApiKey) -> ApiKey:
    """Stops the key for good (idempotent). Other processes that verified it in the last
    few seconds notice within `keycache.TTL_SECONDS`; this one at once."""
    locked = ApiKey.objects.select_for_update().get(pk=key.pk, portal_id=key.portal_id)
    if locked.revoked_at is None:
        locked.revoked_at = hub_now()
        locked.save(update_fields=["revoked_at"])
    # Now, and again after commit: a request in between may have cached the old row.
    keycache.forget(locked.secret_hash)
    transaction.on_commit(lambda: keycache.forget(locked.secret_hash))
    return locked
