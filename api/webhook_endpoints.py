"""/v1/webhook_endpoints: where the portal's events are POSTed, through the services of
Settings → Webhooks (the same URL checks: a private or loopback address is refused).

The signing secret is in the answer to a create and to a roll only, as the page shows it
once; the old secret keeps signing for 24 hours after a roll.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict, StrictBool, StrictStr

from commerce.events import endpoints, selectors
from commerce.events.catalogue import BY_NAME
from commerce.events.models import WebhookEndpoint
from commerce.ids import parse_id

from .auth import api_key, require_scope
from .errors import (
    ERROR_RESPONSES,
    IDEMPOTENCY_HEADER,
    POST_ERROR_RESPONSES,
    invalid,
    not_found,
)
from .idempotency import idempotent
from .pagination import ListParams, page

router = Router(tags=["Webhook endpoints"])


class EndpointOut(Schema):
    id: str
    object: Literal["webhook_endpoint"]
    url: str
    description: str
    event_types: list[str] = Field(description="The types it is sent; empty: every type.")
    enabled: bool
    disabled_reason: str
    created: str | None
    updated: str | None


class EndpointWithSecret(EndpointOut):
    secret: str = Field(description="whsec_…: shown in this answer only. Keep it safe.")


class EndpointList(Schema):
    object: Literal["list"]
    data: list[EndpointOut]
    has_more: bool


class Deleted(Schema):
    id: str
    object: Literal["webhook_endpoint"]
    deleted: Literal[True]


class EndpointUpdate(Schema):
    model_config = ConfigDict(extra="forbid")
    url: StrictStr | None = Field(None, min_length=1, max_length=2000)
    description: StrictStr | None = Field(None, max_length=200)
    event_types: list[StrictStr] | None = Field(
        None, max_length=len(BY_NAME), description="Types from the catalogue; [] for every type."
    )
    enabled: StrictBool | None = Field(
        None, description="false pauses deliveries; true sends what waited."
    )


class EndpointCreate(EndpointUpdate):
    url: StrictStr = Field(min_length=1, max_length=2000)


def _out(endpoint: WebhookEndpoint, *, secret: bool = False) -> dict[str, Any]:
    out = {
        "id": str(endpoint.pk),
        "object": "webhook_endpoint",
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "created": endpoint.created_at.isoformat() if endpoint.created_at else None,
        "updated": endpoint.updated_at.isoformat() if endpoint.updated_at else None,
    }
    if secret:
        out["secret"] = endpoint.secret
    return out


def _get(request: HttpRequest, endpoint_id: str) -> WebhookEndpoint:
    pk = parse_id(endpoint_id)
    if pk is None:
        raise not_found("webhook endpoint", endpoint_id)
    try:
        return selectors.endpoint_get(portal=api_key(request).portal, pk=pk)
    except Http404:
        raise not_found("webhook endpoint", endpoint_id) from None


def _checked(given: dict[str, Any]) -> dict[str, Any]:
    """Nulls and event types; the service checks the URL (shape, then every address it
    resolves to must be public)."""
    for name in ("url", "description", "event_types", "enabled"):
        if name in given and given[name] is None:
            raise invalid(f"{name} cannot be null.", name)
    for index, name in enumerate(given.get("event_types") or []):
        if name not in BY_NAME or BY_NAME[name].internal:
            raise invalid(f"Unknown event type: '{name}'.", f"event_types[{index}]")
    return given


def _saved(save: Any) -> WebhookEndpoint:
    try:
        endpoint: WebhookEndpoint = save()
    except endpoints.EndpointError as exc:  # types are checked before: this is the URL
        raise invalid(str(exc), "url", code="url_refused") from None
    return endpoint


@router.get("", response={200: EndpointList, **ERROR_RESPONSES}, summary="List webhook endpoints")
def endpoint_list(request: HttpRequest, filters: Query[ListParams]) -> dict[str, Any]:
    key = require_scope(request, "webhook_endpoints:read")
    return page(selectors.endpoint_list(portal=key.portal), filters, _out)


@router.post(
    "",
    response={200: EndpointWithSecret, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Create a webhook endpoint",
)
def endpoint_create(request: HttpRequest, payload: EndpointCreate) -> HttpResponse:
    key = require_scope(request, "webhook_endpoints:write")

    def run() -> tuple[int, dict[str, Any]]:
        given = _checked(payload.model_dump(exclude_unset=True))
        endpoint = _saved(
            lambda: endpoints.endpoint_create(
                portal=key.portal,
                url=given["url"],
                description=given.get("description", ""),
                event_types=given.get("event_types", []),
            )
        )
        if given.get("enabled") is False:
            endpoint = endpoints.endpoint_set_enabled(endpoint=endpoint, enabled=False)
        return 200, _out(endpoint, secret=True)

    return idempotent(request, run)


@router.get(
    "/{endpoint_id}",
    response={200: EndpointOut, **ERROR_RESPONSES},
    summary="Retrieve a webhook endpoint",
)
def endpoint_retrieve(request: HttpRequest, endpoint_id: str) -> dict[str, Any]:
    require_scope(request, "webhook_endpoints:read")
    return _out(_get(request, endpoint_id))


@router.post(
    "/{endpoint_id}",
    response={200: EndpointOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Update a webhook endpoint",
)
def endpoint_update(
    request: HttpRequest, endpoint_id: str, payload: EndpointUpdate
) -> HttpResponse:
    require_scope(request, "webhook_endpoints:write")

    def run() -> tuple[int, dict[str, Any]]:
        endpoint = _get(request, endpoint_id)
        given = _checked(payload.model_dump(exclude_unset=True))
        fields = {
            "url": given.get("url", endpoint.url),
            "description": given.get("description", endpoint.description),
            "event_types": given.get("event_types", endpoint.event_types),
        }
        endpoint = _saved(lambda: endpoints.endpoint_update(endpoint=endpoint, **fields))
        if "enabled" in given:
            endpoint = endpoints.endpoint_set_enabled(endpoint=endpoint, enabled=given["enabled"])
        return 200, _out(endpoint)

    return idempotent(request, run)


@router.delete(
    "/{endpoint_id}",
    response={200: Deleted, **ERROR_RESPONSES},
    summary="Delete a webhook endpoint",
)
def endpoint_delete(request: HttpRequest, endpoint_id: str) -> dict[str, Any]:
    """Its pending deliveries are dropped with it."""
    require_scope(request, "webhook_endpoints:write")
    endpoint = _get(request, endpoint_id)
    endpoints.endpoint_delete(endpoint=endpoint)
    return {"id": str(endpoint.pk), "object": "webhook_endpoint", "deleted": True}


@router.post(
    "/{endpoint_id}/roll_secret",
    response={200: EndpointWithSecret, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Roll a webhook endpoint's signing secret",
)
def endpoint_roll_secret(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    """A new secret, in this answer only; the old one also signs for 24 hours."""
    require_scope(request, "webhook_endpoints:write")

    def run() -> tuple[int, dict[str, Any]]:
        endpoint = endpoints.endpoint_roll_secret(endpoint=_get(request, endpoint_id))
        return 200, _out(endpoint, secret=True)

    return idempotent(request, run)
