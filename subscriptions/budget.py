"""The background Stripe request budget: SUBSCRIPTION_STRIPE_REQUESTS_PER_SECOND,
shared by every worker through the cache (Redis in production).

Each second is cut into up to 10 slots and the budget spread over them (20/s: two
requests per 100 ms slot), one cache counter per slot. A whole-second counter would
let a second's budget go out at its very end and the next second's at its start, i.e.
twice the budget within a few milliseconds; with slots, any one-second window holds at
most the budget plus one slot's share (the "burst"). A worker over budget sleeps into
the next slot. Stripe's own limit is per account (100 operations/s in live mode);
keeping background work well under it leaves room for buyers at checkout.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

MAX_SLOTS_PER_SECOND = 10


def slots_per_second(budget: int) -> int:
    return max(1, min(budget, MAX_SLOTS_PER_SECOND))


def burst(budget: int) -> int:
    """The most requests one slot allows: what a one-second window may exceed the
    budget by."""
    slots = slots_per_second(budget)
    return -(-budget // slots)


def _capacity(budget: int, slots: int, index: int) -> int:
    # Slot i of a second gets floor((i+1)*B/S) - floor(i*B/S): the shares sum to B.
    within = index % slots
    return (within + 1) * budget // slots - within * budget // slots


# The last slot this process sent in, per slots-per-second: the next request never
# goes back to an earlier slot, so a clock that stands still (time-machine in tests)
# or steps back still moves forward one slot per full slot instead of spinning.
_last_slot: dict[int, int] = {}


def wait_for_stripe_slot() -> float:
    """Blocks until this process may send one background Stripe request; returns the
    seconds waited. No-op when the budget is 0 (off)."""
    budget = settings.SUBSCRIPTION_STRIPE_REQUESTS_PER_SECOND
    if not budget:
        return 0.0
    slots = slots_per_second(budget)
    started = time.monotonic()
    index = max(int(time.time() * slots), _last_slot.get(slots, 0))
    while True:
        key = f"subscriptions:stripe-budget:{budget}:{slots}:{index}"
        cache.add(key, 0, timeout=5)
        try:
            used = cache.incr(key)
        except ValueError:  # evicted between add and incr: this request is the first
            cache.add(key, 1, timeout=5)
            used = 1
        if used <= _capacity(budget, slots, index):
            _last_slot[slots] = index
            return time.monotonic() - started
        # Sleep to the start of the next slot (at most one slot's length).
        until_next = (index + 1) / slots - time.time()
        time.sleep(min(max(until_next, 0.0), 1 / slots) + 0.001)
        index = max(index + 1, int(time.time() * slots))
