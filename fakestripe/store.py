"""In-memory state: objects per owner (platform or connected account), ordered lists.

Every lookup is a dict access and every insert an append, so the cost of a call does not
grow with the number of stored objects. Lists are kept per (owner, object type) in
creation order with an id → position map; `created` filters bisect a parallel array.
"""

from __future__ import annotations

import base64
import bisect
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from .errors import StripeError, invalid, not_found

# base64 without "+/=": ids are alphanumeric like Stripe's.
_TO_ALNUM = bytes.maketrans(b"+/", b"Xz")

Predicate = Callable[[dict[str, Any]], bool]


# Tokens are cut from a pool of random base64 characters (4,096 at a time): one
# os.urandom call per ~170 ids instead of one per id, the same 6 random bits a character.
_POOL_BYTES = 3072
_pool = ""
_pool_pos = 0
_pool_lock = threading.Lock()


def _refill() -> str:
    return base64.b64encode(os.urandom(_POOL_BYTES)).translate(_TO_ALNUM).decode()


def random_token(length: int) -> str:
    global _pool, _pool_pos
    with _pool_lock:
        start = _pool_pos
        end = start + length
        if end > len(_pool):
            if length > _POOL_BYTES:
                raw = base64.b64encode(os.urandom(length * 3 // 4 + 3)).translate(_TO_ALNUM)
                return raw[:length].decode()
            _pool = _refill()
            start, end = 0, length
        _pool_pos = end
        return _pool[start:end]


def _forget_pool() -> None:
    """A forked child must not hand out the parent's remaining characters."""
    global _pool, _pool_pos
    _pool, _pool_pos = "", 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


class Collection:
    """The objects of one type on one account, oldest first; listed newest first."""

    __slots__ = ("created", "ids", "live", "pos")

    def __init__(self) -> None:
        self.ids: list[str | None] = []
        self.created: list[int] = []
        self.pos: dict[str, int] = {}
        self.live = 0

    def add(self, ident: str, created: int) -> None:
        ids = self.ids
        self.pos[ident] = len(ids)
        ids.append(ident)
        # `created` never decreases (the clock is monotonic), so bisect stays valid.
        stamps = self.created
        if stamps and created < stamps[-1]:
            created = stamps[-1]
        stamps.append(created)
        self.live += 1

    def remove(self, ident: str) -> None:
        index = self.pos.pop(ident, None)
        if index is not None:
            self.ids[index] = None
            self.live -= 1

    def page(
        self,
        objects: dict[str, dict[str, Any]],
        limit: int,
        starting_after: str | None = None,
        ending_before: str | None = None,
        created: dict[str, int] | None = None,
        predicate: Predicate | None = None,
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page, newest first (docs.stripe.com/api/pagination)."""
        lo, hi = 0, len(self.ids)
        if created:
            lo, hi = self._created_range(created)
        out: list[dict[str, Any]] = []
        if ending_before is not None:
            start = self._cursor(ending_before, "ending_before") + 1
            for index in range(max(start, lo), hi):
                obj = self._at(objects, index, predicate)
                if obj is not None:
                    out.append(obj)
                    if len(out) > limit:
                        break
            has_more = len(out) > limit
            out = out[:limit]
            out.reverse()
            return out, has_more
        end = hi
        if starting_after is not None:
            end = min(end, self._cursor(starting_after, "starting_after"))
        for index in range(end - 1, lo - 1, -1):
            obj = self._at(objects, index, predicate)
            if obj is not None:
                out.append(obj)
                if len(out) > limit:
                    break
        has_more = len(out) > limit
        return out[:limit], has_more

    def _at(self, objects: dict[str, dict[str, Any]], index: int, predicate: Predicate | None):
        ident = self.ids[index]
        if ident is None:
            return None
        obj = objects[ident]
        if predicate is not None and not predicate(obj):
            return None
        return obj

    def _cursor(self, ident: str, param: str) -> int:
        index = self.pos.get(ident)
        if index is None:
            raise invalid(f"Invalid {param}: no such object '{ident}' in this list", param=param)
        return index

    def _created_range(self, created: dict[str, int]) -> tuple[int, int]:
        lo, hi = 0, len(self.created)
        if "gt" in created:
            lo = max(lo, bisect.bisect_right(self.created, created["gt"]))
        if "gte" in created:
            lo = max(lo, bisect.bisect_left(self.created, created["gte"]))
        if "lt" in created:
            hi = min(hi, bisect.bisect_left(self.created, created["lt"]))
        if "lte" in created:
            hi = min(hi, bisect.bisect_right(self.created, created["lte"]))
        return lo, max(lo, hi)

    def __iter__(self) -> Iterator[str]:
        return (i for i in self.ids if i is not None)


class Store:
    """All state of one fakestripe server. Mutate only while holding `lock`."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.owner: dict[str, str] = {}
        self.private: dict[str, dict[str, Any]] = {}
        self.collections: dict[tuple[str, str], Collection] = {}
        self.clock_offset = 0.0
        self._last_now = 0
        self.config: dict[str, Any] = {"balance_transaction_delay": False}
        self.links: dict[str, dict[str, Any]] = {}  # account link token → link state
        self.pending_bts: list[str] = []  # balance transactions not yet available
        self.unsettled: list[str] = []  # charges waiting for /_fake/balance/settle
        # Automatic payouts (resources/payouts.py): the last day paid out, balance
        # transactions not paid out yet per account, payouts in transit, failures asked for.
        self.payouts: dict[str, Any] = {}
        self.version = 0  # bumped on every mutation; the snapshot saver watches it

    # --- clock -------------------------------------------------------------------
    def now(self) -> int:
        """fakestripe's "now": real time plus the offset set by /_fake/clock/advance."""
        value = int(time.time() + self.clock_offset)
        if value < self._last_now:
            value = self._last_now
        self._last_now = value
        return value

    # --- objects -----------------------------------------------------------------
    def new_id(self, prefix: str, length: int = 24) -> str:
        return f"{prefix}_{random_token(length)}"

    def insert(self, owner: str, obj: dict[str, Any], private: dict[str, Any] | None = None):
        ident = obj["id"]
        self.objects[ident] = obj
        self.owner[ident] = owner
        if private is not None:
            self.private[ident] = private
        key = (owner, obj["object"])
        coll = self.collections.get(key)
        if coll is None:
            coll = self.collections[key] = Collection()
        coll.add(ident, obj.get("created") or self.now())
        self.version += 1
        return obj

    def insert_unlisted(self, owner: str, obj: dict[str, Any]) -> dict[str, Any]:
        """An object reachable by id (and expand) but in no list."""
        self.objects[obj["id"]] = obj
        self.owner[obj["id"]] = owner
        return obj

    def delete(self, ident: str) -> None:
        obj = self.objects.pop(ident, None)
        if obj is None:
            return
        owner = self.owner.pop(ident)
        self.private.pop(ident, None)
        self.collection(owner, obj["object"]).remove(ident)
        self.version += 1

    def collection(self, owner: str, kind: str) -> Collection:
        coll = self.collections.get((owner, kind))
        if coll is None:
            coll = self.collections[(owner, kind)] = Collection()
        return coll

    def get(self, owner: str, kind: str, ident: Any, param: str = "id") -> dict[str, Any]:
        """The object `ident` of type `kind` visible to `owner`, or Stripe's 404."""
        if not isinstance(ident, str) or not ident:
            raise invalid(f"Invalid {param}: must be a non-empty string", param=param)
        obj = self.objects.get(ident)
        if obj is None or obj["object"] != kind or self.owner[ident] != owner:
            raise not_found(kind, ident, param)
        return obj

    def find(self, ident: str) -> tuple[str, dict[str, Any]] | None:
        obj = self.objects.get(ident)
        if obj is None:
            return None
        return self.owner[ident], obj

    def priv(self, ident: str) -> dict[str, Any]:
        data = self.private.get(ident)
        if data is None:
            data = self.private[ident] = {}
        return data

    def touch(self) -> None:
        self.version += 1

    # --- lists -------------------------------------------------------------------
    def list_page(
        self,
        owner: str,
        kind: str,
        params: dict[str, Any],
        url: str,
        predicate: Predicate | None = None,
    ) -> dict[str, Any]:
        """A list object (docs.stripe.com/api/pagination): limit 1 to 100, default 10."""
        limit = params.get("limit", 10)
        if not 1 <= limit <= 100:
            raise StripeError(
                400,
                "This value must be greater than or equal to 1 and less than or equal to 100.",
                param="limit",
                saved=False,
            )
        created = params.get("created")
        if isinstance(created, int):
            created = {"gte": created, "lte": created}
        data, has_more = self.collection(owner, kind).page(
            self.objects,
            limit,
            params.get("starting_after"),
            params.get("ending_before"),
            created or None,
            predicate,
        )
        return {"object": "list", "data": data, "has_more": has_more, "url": url}
