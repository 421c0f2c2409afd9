"""Events and webhook endpoints (docs.stripe.com/api/events, /api/webhook_endpoints)."""

from __future__ import annotations

import fnmatch
from typing import Any

from .. import API_VERSION, PLATFORM
from ..app import Ctx, route
from ..errors import invalid
from ..events import delivery_success
from ..store import random_token
from .common import new_metadata, set_fields, update_metadata


@route("GET", "/v1/events/{id}", "EventRetrieveParams")
def retrieve_event(ctx: Ctx, id: str):
    return ctx.store.get(ctx.owner, "event", id, "id")


@route("GET", "/v1/events", "EventListParams")
def list_events(ctx: Ctx):
    p = ctx.params
    # docs.stripe.com/api/events/list: `type` may use * as a wildcard; `types` up to 20
    patterns = [p["type"]] if p.get("type") else list(p.get("types") or [])
    success = p.get("delivery_success")
    store = ctx.store
    predicate = None
    if patterns or success is not None:

        def predicate(event: dict[str, Any]) -> bool:
            if patterns and not any(fnmatch.fnmatchcase(event["type"], t) for t in patterns):
                return False
            return success is None or delivery_success(store, event) == success

    return store.list_page(ctx.owner, "event", p, "/v1/events", predicate)


def _check_events(events: list[str]) -> None:
    if not events:
        raise invalid("enabled_events must not be empty.", param="enabled_events")


@route("POST", "/v1/webhook_endpoints", "WebhookEndpointCreateParams")
def create_webhook_endpoint(ctx: Ctx):
    p = ctx.params
    _check_events(p["enabled_events"])
    if not str(p["url"]).startswith(("http://", "https://")):
        raise invalid("Invalid URL: must be an http(s) URL.", param="url", code="url_invalid")
    if ctx.owner != PLATFORM:
        raise invalid("Webhook endpoints belong to the platform account.", param="url")
    return add_endpoint(
        ctx.store,
        p["url"],
        p["enabled_events"],
        bool(p.get("connect")),
        p.get("description"),
        p.get("metadata"),
        p.get("api_version"),
    )


def add_endpoint(
    store, url, events, connect, description=None, metadata=None, api_version=None, secret=None
):
    ident = store.new_id("we")
    secret = secret or f"whsec_{random_token(32)}"
    endpoint = {
        "id": ident,
        "object": "webhook_endpoint",
        "api_version": api_version or API_VERSION,
        "application": None,
        "created": store.now(),
        "description": description,
        "enabled_events": list(events),
        "livemode": False,
        "metadata": new_metadata(metadata),
        "status": "enabled",
        "url": url,
    }
    store.insert(PLATFORM, endpoint, {"secret": secret, "connect": connect})
    # docs.stripe.com/api/webhook_endpoints/create: the secret is only returned on creation
    return {**endpoint, "secret": secret}


@route("GET", "/v1/webhook_endpoints/{id}", "WebhookEndpointRetrieveParams")
def retrieve_webhook_endpoint(ctx: Ctx, id: str):
    return ctx.store.get(PLATFORM, "webhook_endpoint", id, "id")


@route("POST", "/v1/webhook_endpoints/{id}", "WebhookEndpointUpdateParams")
def update_webhook_endpoint(ctx: Ctx, id: str):
    we = ctx.store.get(PLATFORM, "webhook_endpoint", id, "id")
    p = ctx.params
    if "enabled_events" in p:
        _check_events(p["enabled_events"])
        we["enabled_events"] = list(p["enabled_events"])
    set_fields(we, p, ("url", "description"), {})
    if "disabled" in p:
        we["status"] = "disabled" if p["disabled"] else "enabled"
    update_metadata(we, p.get("metadata"), {})
    ctx.store.touch()
    return we


@route("DELETE", "/v1/webhook_endpoints/{id}", "WebhookEndpointDeleteParams")
def delete_webhook_endpoint(ctx: Ctx, id: str):
    ctx.store.get(PLATFORM, "webhook_endpoint", id, "id")
    ctx.store.delete(id)
    return {"id": id, "object": "webhook_endpoint", "deleted": True}


@route("GET", "/v1/webhook_endpoints", "WebhookEndpointListParams")
def list_webhook_endpoints(ctx: Ctx):
    return ctx.store.list_page(PLATFORM, "webhook_endpoint", ctx.params, "/v1/webhook_endpoints")
