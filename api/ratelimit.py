"""Requests per second per API key (`API_RATE_LIMIT_PER_SECOND`, 0 turns it off).

A moving window (`API_RATE_LIMIT_WINDOW_SECONDS`, one second by default) on the `limits`
library, holding a key to rate times window requests in any window: in Redis when REDIS_URL
is set, so every web process counts against one budget, in this process's memory
otherwise.
"""

from __future__ import annotations

import math
import os
import threading
import time

from django.conf import settings
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

NAMESPACE = "api-key"

_lock = threading.Lock()
_limiters: dict[tuple[int, str], MovingWindowRateLimiter] = {}


def _limiter() -> MovingWindowRateLimiter:
    # Made anew in a forked child, which must not share its parent's connections.
    uri = settings.REDIS_URL or "memory://"
    with _lock:
        limiter = _limiters.get((os.getpid(), uri))
        if limiter is None:
            storage = MemoryStorage() if uri == "memory://" else storage_from_string(uri)
            assert isinstance(storage, Storage)  # a synchronous one: not an async+ scheme
            limiter = MovingWindowRateLimiter(storage)
            _limiters[(os.getpid(), uri)] = limiter
        return limiter


def retry_after(identity: str) -> int | None:
    """Counts one request of the key named `identity`; None when it may go, else the
    whole seconds (at least 1) to wait before asking again."""
    rate = max(0, int(settings.API_RATE_LIMIT_PER_SECOND))
    if rate == 0:
        return None
    window = max(1, int(settings.API_RATE_LIMIT_WINDOW_SECONDS))
    item = RateLimitItemPerSecond(rate * window, window)
    limiter = _limiter()
    if limiter.hit(item, NAMESPACE, identity):
        return None
    reset_at = limiter.get_window_stats(item, NAMESPACE, identity).reset_time
    return max(1, math.ceil(reset_at - time.time()))


def clear() -> None:
    """Forgets the counts kept in this process's memory (tests); Redis is left alone."""
    with _lock:
        for limiter in _limiters.values():
            if isinstance(limiter.storage, MemoryStorage):
                limiter.storage.reset()
