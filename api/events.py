"""/v1/events: what happened in the portal, in the very shape its webhooks deliver
(`{id, type, created, portal, data: {object}}`), to catch up on missed deliveries."""

from __future__ import annotations

import json
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from commerce.events import selectors
from commerce.events.catalogue import BY_NAME
from commerce.events.delivery import event_body
from commerce.events.models import Event

from .auth import api_key, require_scope
from .errors import ERROR_RESPONSES, invalid, not_found
from .pagination import ListParams, page

router = Router(tags=["Events"])


class EventData(Schema):
    object: dict[str, Any] = Field(description="The object as it was right after the event.")


class EventOut(Schema):
    id: str = Field(description="evt_…, the webhook-id of its deliveries too.")
    type: str
    created: str = Field(description="ISO 8601 in UTC, as in webhook deliveries.")
    portal: str
    data: EventData


class EventList(Schema):
    object: Literal["list"]
    data: list[EventOut]
    has_more: bool


class EventFilters(ListParams):
    starting_after: str | None = Field(
        None, max_length=40, description="An event id (evt_…): the list continues after it."
    )
    type: str | None = Field(
        None, max_length=64, description="Only events of this type, e.g. payment.succeeded."
    )


def _out(request: HttpRequest) -> Any:
    portal_id = api_key(request).portal.public_id

    def render(event: Event) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(event_body(event, portal_id))
        return out

    return render


@router.get("", response={200: EventList, **ERROR_RESPONSES}, summary="List events")
def event_list(request: HttpRequest, filters: Query[EventFilters]) -> dict[str, Any]:
    """Newest first; the catalogue of types is at /settings/webhooks/docs/."""
    key = require_scope(request, "events:read")
    if filters.type is not None and (filters.type not in BY_NAME or BY_NAME[filters.type].internal):
        raise invalid(f"Unknown event type: '{filters.type}'.", "type")
    events = selectors.event_list(portal=key.portal, type=filters.type or "")

    def cursor(public_id: str) -> int | None:
        everything = selectors.event_list(portal=key.portal)
        return everything.filter(public_id=public_id).values_list("pk", flat=True).first()

    return page(events, filters, _out(request), cursor=cursor)


@router.get("/{event_id}", response={200: EventOut, **ERROR_RESPONSES}, summary="Retrieve an event")
def event_retrieve(request: HttpRequest, event_id: str) -> dict[str, Any]:
    key = require_scope(request, "events:read")
    try:
        event = selectors.event_get(portal=key.portal, public_id=event_id[:40])
    except Http404:
        raise not_found("event", event_id) from None
    result: dict[str, Any] = _out(request)(event)
    return result
