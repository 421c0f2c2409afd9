"""Which key a bearer secret is, verified once per process every few seconds.

An API request must not cost a database query just to find its key: the verified key
(its portal, scopes and expiry) is kept in this process's memory for `TTL_SECONDS`, so
a revoked key stops working everywhere within that time (at once in the process that
revoked it). `last_used_at` is written at most once a minute per key and process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q

from commerce.clock import hub_now
from commerce.portals.models import Portal

from .models import ApiKey

TTL_SECONDS = 5.0
TOUCH_EVERY = timedelta(minutes=1)


@dataclass
class VerifiedKey:
    id: int
    digest: str  # the SHA-256 of its secret
    portal: Portal
    scopes: frozenset[str]
    expires_at: datetime | None
    revoked: bool
    verified_at: float
    last_touched: datetime | None = field(default=None)
    name: str = ""
    prefix: str = ""

    @property
    def label(self) -> str:
        """How timelines name the key: API key “Website” (chk_live_AbC…)."""
        return f"API key “{self.name}” ({self.prefix}…)"

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


_keys: dict[str, VerifiedKey | None] = {}
_lock = threading.Lock()


def lookup(digest: str) -> VerifiedKey | None:
    """The key whose secret hashes to `digest` (revoked or expired ones too: the caller
    says why it is refused), or None; from memory when verified in the last seconds."""
    now = time.time()
    with _lock:
        cached = _keys.get(digest)
        if digest in _keys and cached is not None and now - cached.verified_at < TTL_SECONDS:
            return cached
    row = ApiKey.objects.select_related("portal").filter(secret_hash=digest).first()
    verified = None
    if row is not None:
        verified = VerifiedKey(
            id=row.pk,
            digest=digest,
            portal=row.portal,
            scopes=frozenset(row.scopes),
            expires_at=row.expires_at,
            revoked=row.revoked_at is not None,
            verified_at=now,
            last_touched=cached.last_touched if cached else row.last_used_at,
            name=row.name,
            prefix=row.prefix,
        )
        with _lock:
            _keys[digest] = verified
    return verified


def touch(key: VerifiedKey) -> None:
    """Records the key's use, at most once a minute (one UPDATE, no read)."""
    now = hub_now()
    if key.last_touched is not None and now - key.last_touched < TOUCH_EVERY:
        return
    key.last_touched = now
    ApiKey.objects.filter(pk=key.id).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_EVERY)
    ).update(last_used_at=now)


def forget(digest: str) -> None:
    with _lock:
        _keys.pop(digest, None)


def clear() -> None:
    with _lock:
        _keys.clear()
