"""Requests per second per API key (`API_RATE_LIMIT_PER_SECOND`, 0 turns it off).

A moving window (`API_RATE_LIMIT_WINDOW_SECONDS`, one second by default) holding a key to
rate times window requests in any window: in Redis when REDIS_URL is set (the `limits`
library), so every web process counts against one budget, in this process's memory
otherwise.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque

from django.conf import settings
from limits import RateLimitItemPerSecond
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

NAMESPACE = "api-key"


class LocalWindow:
    """The moving window in this process's memory: the times of each key's last `limit`
    requests; one more may go once the oldest of them is `window` seconds old.

    Not `limits`' MemoryStorage: that one expires entries from a timer thread it starts
    again whenever the last has ended, so at a few hundred requests a second nearly
    every other request waited for a new thread to start."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: dict[tuple[str, int], deque[float]] = {}

    def retry_after(
        self, identity: str, limit: int, window: int = 1, now: float | None = None
    ) -> int | None:
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.get((identity, limit))
            if hits is None:
                hits = self._hits[(identity, limit)] = deque(maxlen=limit)
            if len(hits) == limit and now - hits[0] < window:
                return max(1, math.ceil(hits[0] + window - now))
            hits.append(now)
            return None

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()


_lock = threading.Lock()
_limiters: dict[tuple[int, str], MovingWindowRateLimiter | LocalWindow] = {}


def _limiter() -> MovingWindowRateLimiter | LocalWindow:
    # Made anew in a forked child, which must not share its parent's connections.
    uri = settings.REDIS_URL or "memory://"
    with _lock:
        limiter = _limiters.get((os.getpid(), uri))
        if limiter is None:
            if uri == "memory://":
                limiter = LocalWindow()
            else:
                storage = storage_from_string(uri)
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
    limiter = _limiter()
    if isinstance(limiter, LocalWindow):
        return limiter.retry_after(identity, rate * window, window)
    item = RateLimitItemPerSecond(rate * window, window)
    if limiter.hit(item, NAMESPACE, identity):
        return None
    reset_at = limiter.get_window_stats(item, NAMESPACE, identity).reset_time
    return max(1, math.ceil(reset_at - time.time()))


def clear() -> None:
    """Forgets the counts kept in this process's memory (tests); Redis is left alone."""
    with _lock:
        for limiter in _limiters.values():
            if isinstance(limiter, LocalWindow):
                limiter.clear()
