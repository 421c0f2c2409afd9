"""The request budgets of background Stripe traffic: the hub's one rate limiter.

Stripe limits requests per account and per platform (100/s live, 25/s in test mode) and
asks background jobs to keep to a share of that (docs.stripe.com/rate-limits), so the
buyers' calls at checkout always find room: those never wait here. Each kind of
background work names its own `RequestBudget` where it is done (the billing run, the fee
sync) and calls its `wait()` before each Stripe request.

A budget is `rate` requests per second, read from its setting on every call (0 turns it
off), and is either
- shared by every worker process, in Redis when REDIS_URL is set (one process's memory
  otherwise), or kept per process in memory; and either
- spread over tenths of a second (20/s: two requests per 100 ms slot), so a one-second
  window holds at most the rate plus one slot's share (`burst`); or
- a moving window of one second: a second's whole budget may go at once (`burst` equals
  the rate), and no one-second window ever holds more than the rate.

Both are built on the `limits` library: a moving window, and for spread budgets a fixed
window counter per slot (its windows are whole seconds, so a slot's counter is keyed by
the slot's number and simply outlives it). Waiting is driven by the wall clock, which a
test may freeze or move back (time-machine): a spread budget never goes back to an
earlier slot and moves on one slot per slot's length slept, and a moving window whose
clock stands still or stepped back starts over after a window's length slept, so the
budget keeps holding in real time instead of blocking forever.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

MAX_SLOTS_PER_SECOND = 10
NAMESPACE = "stripe-budget"


@dataclass(frozen=True)
class RequestBudget:
    """A named budget of background Stripe requests (see the module's docstring)."""

    name: str
    setting: str  # requests per second; 0 turns the budget off
    shared: bool  # one budget for every worker process, or one per process
    spread: bool  # over tenths of a second, or a second's budget at once

    @property
    def rate(self) -> int:
        return max(0, int(getattr(settings, self.setting)))

    @property
    def burst(self) -> int:
        return self.burst_for(self.rate)

    def wait(self) -> float:
        """Blocks until one more request may go; returns the seconds waited."""
        return wait(self)

    def clear(self) -> None:
        clear(self)

    def burst_for(self, rate: int) -> int:
        """The most requests that may go at once: what a one-second window of a spread
        budget may exceed the rate by."""
        if not self.spread:
            return rate
        return -(-rate // slots_per_second(rate)) if rate else 0


def slots_per_second(rate: int) -> int:
    return max(1, min(rate, MAX_SLOTS_PER_SECOND))


def wait(budget: RequestBudget) -> float:
    """Blocks until one more request of `budget` may go; returns the seconds waited.
    Returns at once when the budget is off (0)."""
    rate = budget.rate
    if not rate:
        return 0.0
    started = time.monotonic()
    if budget.spread:
        _wait_for_slot(budget, rate)
    else:
        _wait_in_window(budget, rate)
    return time.monotonic() - started


def clear(budget: RequestBudget) -> None:
    """Forgets what the budget has spent (benchmarks that measure twice, tests)."""
    rate = budget.rate
    if rate and not budget.spread:
        _moving(budget).clear(RateLimitItemPerSecond(rate, namespace=NAMESPACE), budget.name)
    _last_slot.pop(budget.name, None)


# --- Spread over slots -------------------------------------------------------------------


def _share(rate: int, slots: int, index: int) -> int:
    # Slot i of a second gets floor((i+1)*R/S) - floor(i*R/S): the shares sum to R.
    within = index % slots
    return (within + 1) * rate // slots - within * rate // slots


# The last slot this process sent in, per budget: the next request never goes back to an
# earlier slot, so a clock that stands still or steps back still moves on one slot per
# slot's length slept instead of spinning.
_last_slot: dict[str, int] = {}


def _wait_for_slot(budget: RequestBudget, rate: int) -> None:
    slots = slots_per_second(rate)
    limiter = _fixed(budget)
    index = max(int(time.time() * slots), _last_slot.get(budget.name, 0))
    while True:
        # Keyed by the rate too: a changed setting starts on fresh counters.
        item = RateLimitItemPerSecond(_share(rate, slots, index), namespace=NAMESPACE)
        if limiter.hit(item, budget.name, str(rate), str(index)):
            _last_slot[budget.name] = index
            return
        until_next = (index + 1) / slots - time.time()
        time.sleep(min(max(until_next, 0.0), 1 / slots) + 0.001)
        index = max(index + 1, int(time.time() * slots))


# --- A moving window of one second ---------------------------------------------------------


def _wait_in_window(budget: RequestBudget, rate: int) -> None:
    limiter = _moving(budget)
    item = RateLimitItemPerSecond(rate, namespace=NAMESPACE)
    while not limiter.hit(item, budget.name):
        before = time.time()
        reset = limiter.get_window_stats(item, budget.name).reset_time
        window = item.get_expiry()
        time.sleep(min(max(reset - before, 0.0), window) + 0.001)
        if time.time() == before or reset - before > window:
            # The clock stands still or went back: the window would never empty by
            # itself, and a window's length has really passed.
            limiter.clear(item, budget.name)


# --- Storage -----------------------------------------------------------------------------

_storages: dict[str, Storage] = {}
_storages_pid = os.getpid()
_storages_lock = threading.Lock()


def _storage(budget: RequestBudget) -> Storage:
    """Redis (REDIS_URL) for shared budgets, this process's memory otherwise; made anew
    in a forked child (a Celery pool process), which must not use its parent's."""
    global _storages_pid
    uri = settings.REDIS_URL if budget.shared and settings.REDIS_URL else "memory://"
    with _storages_lock:
        if _storages_pid != os.getpid():
            _storages.clear()
            _last_slot.clear()
            _storages_pid = os.getpid()
        if uri not in _storages:
            made = MemoryStorage() if uri == "memory://" else storage_from_string(uri)
            assert isinstance(made, Storage)  # a synchronous one: not an async+ scheme
            _storages[uri] = made
        return _storages[uri]


def _fixed(budget: RequestBudget) -> FixedWindowRateLimiter:
    return FixedWindowRateLimiter(_storage(budget))


def _moving(budget: RequestBudget) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(_storage(budget))
