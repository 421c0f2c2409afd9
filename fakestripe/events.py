"""Creating events (docs.stripe.com/api/events, /connect/webhooks)."""

from __future__ import annotations

import pickle
from typing import Any

from . import API_VERSION, PLATFORM


def snapshot(obj: dict[str, Any]) -> dict[str, Any]:
    """A deep copy: the event keeps the object as it was when the event happened.

    Stored objects are JSON trees: a shallow copy, then a copy of each nested dict or
    list, about twice as fast as a pickle round trip; any other container type (a dict
    subclass, a tuple, a set) is copied by pickle as before."""
    if type(obj) is not dict:
        return _deep(obj)
    out = obj.copy()
    for key, value in obj.items():
        kind = type(value)
        if kind in _ATOMS:
            continue
        if kind is dict:
            out[key] = snapshot(value) if value else {}
        elif kind is list:
            out[key] = _copy_list(value) if value else []
        else:
            out[key] = _deep(value)
    return out


def _copy_list(items: list[Any]) -> list[Any]:
    out = items.copy()
    for index, value in enumerate(items):
        kind = type(value)
        if kind in _ATOMS:
            continue
        if kind is dict:
            out[index] = snapshot(value) if value else {}
        elif kind is list:
            out[index] = _copy_list(value) if value else []
        else:
            out[index] = _deep(value)
    return out


def _deep(value: Any) -> Any:
    return pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))


_ATOMS = frozenset({str, int, float, bool, type(None)})


class Events:
    def __init__(self, app) -> None:
        self.app = app

    def emit(
        self,
        owner: str,
        type_: str,
        obj: dict[str, Any],
        previous: dict[str, Any] | None,
        request_id: str | None,
        idempotency_key: str | None,
    ) -> dict[str, Any]:
        """Record an event on `owner` and queue its webhook deliveries.

        Events of connected accounts carry `account` and go to Connect endpoints
        (docs.stripe.com/connect/webhooks); `data.object` is the object as it is now,
        `previous_attributes` the changed fields before (docs.stripe.com/api/events/object).
        """
        store = self.app.store
        data: dict[str, Any] = {"object": snapshot(obj)}
        if previous:
            data["previous_attributes"] = snapshot(previous)
        hooks = store.collections.get((PLATFORM, "webhook_endpoint"))
        endpoints = (
            self.app.dispatcher.endpoints_for(owner, type_)
            if hooks is not None and hooks.live
            else []
        )
        event: dict[str, Any] = {
            "id": store.new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": store.now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": len(endpoints),
            "request": {"id": request_id, "idempotency_key": idempotency_key},
            "type": type_,
        }
        if owner != PLATFORM:
            event["account"] = owner
        if endpoints:
            ids = [we["id"] for we in endpoints]
            store.insert(owner, event, {"deliveries": dict.fromkeys(ids, "pending")})
            self.app.dispatcher.enqueue(event["id"], ids)
        else:
            store.insert(owner, event, {"deliveries": {}})
        return event


def delivery_success(store, event: dict[str, Any]) -> bool:
    """docs.stripe.com/api/events/list#delivery_success: true when every endpoint got it."""
    deliveries = store.private.get(event["id"], {}).get("deliveries", {})
    return all(state == "delivered" for state in deliveries.values())
