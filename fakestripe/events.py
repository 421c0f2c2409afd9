"""Creating events (docs.stripe.com/api/events, /connect/webhooks)."""

from __future__ import annotations

import pickle
from typing import Any

from . import API_VERSION, PLATFORM


def snapshot(obj: dict[str, Any]) -> dict[str, Any]:
    """A deep copy: the event keeps the object as it was when the event happened."""
    return pickle.loads(pickle.dumps(obj, pickle.HIGHEST_PROTOCOL))


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
        endpoints = self.app.dispatcher.endpoints_for(owner, type_)
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
        store.insert(owner, event, {"deliveries": {we["id"]: "pending" for we in endpoints}})
        if endpoints:
            self.app.dispatcher.enqueue(event["id"], [we["id"] for we in endpoints])
        return event


def delivery_success(store, event: dict[str, Any]) -> bool:
    """docs.stripe.com/api/events/list#delivery_success: true when every endpoint got it."""
    deliveries = store.private.get(event["id"], {}).get("deliveries", {})
    return all(state == "delivered" for state in deliveries.values())
