"""Counting requests per key in the cache: how the hub limits what may be asked of it
by one client or for one e-mail address (password-reset and invitation e-mails).

The counters live in the default cache: Redis when REDIS_URL is set, so every web
process shares them, process memory otherwise (one process in `make dev`). A counter is
a fixed window (`window_seconds`), which allows at most twice the limit across a window
boundary: enough to stop a flood, and one cache round trip per check. Sign-in failures
are counted by django-axes in the database instead (commerce/portals/signin.py).
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address a request came from. Behind your reverse proxy (BEHIND_PROXY=true)
    that is the right-most X-Forwarded-For entry, the one your proxy appended; entries
    left of it were written by the client and prove nothing."""
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return str(request.META.get("REMOTE_ADDR") or "")


def rate_limit_hit(*, scope: str, key: str, limit: int, window_seconds: int = 3600) -> bool:
    """Counts one request for `key` (an address, an e-mail) in `scope` and returns True
    when it is over `limit` requests in the current window. A limit of 0 or less means
    no limit. Keys are hashed: no e-mail address is written to the cache."""
    if limit <= 0:
        return False
    window = int(time.time() // window_seconds)
    digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
    cache_key = f"ratelimit:{scope}:{digest}:{window}"
    # add() is a no-op when the counter exists; incr() is atomic in Redis and locmem.
    cache.add(cache_key, 0, timeout=window_seconds + 60)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.add(cache_key, 1, timeout=window_seconds + 60)
        count = 1
    return count > limit
