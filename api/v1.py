"""The public REST API, version 1: django-ninja, mounted at /api/v1/ (commerce/urls.py).

Additive changes only under /v1/. The OpenAPI document is generated from this module
(`manage.py api_openapi` writes docs/openapi.json); the interactive docs are /api/docs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern
from ninja import NinjaAPI

from commerce.actors import acting_via
from commerce.middleware import is_json

from . import (
    contacts,
    errors,
    events,
    invoices,
    payment_links,
    payments,
    products,
    quotes,
    subscriptions,
    webhook_endpoints,
)
from .auth import ApiKeyAuth
from .keycache import VerifiedKey

DESCRIPTION = """\
Commerce Hub's REST API. Authenticate with an API key made under Settings → API keys:
`Authorization: Bearer chk_live_…`. A key acts for its portal with exactly its scopes.

Lists are cursor-paginated (`limit`, `starting_after`; `has_more`). Every POST accepts an
`Idempotency-Key` header. Every error is `{"error": {"type", "code", "message", "param"}}`.
Money is in integer cents with its `currency`.
"""

api = NinjaAPI(
    title="Commerce Hub API",
    version="1",
    description=DESCRIPTION,
    auth=ApiKeyAuth(),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url=None,
)
errors.install(api)
api.add_router("/products", products.router)
api.add_router("/contacts", contacts.router)
api.add_router("/payment_links", payment_links.router)
api.add_router("/quotes", quotes.router)
api.add_router("/invoices", invoices.router)
api.add_router("/payments", payments.router)
api.add_router("/subscriptions", subscriptions.router)
api.add_router("/events", events.router)
api.add_router("/webhook_endpoints", webhook_endpoints.router)


def _label(request: HttpRequest) -> str:
    key = getattr(request, "auth", None)
    return key.label if isinstance(key, VerifiedKey) else ""


# JSON is never a document a browser renders: the policy OWASP's REST Security Cheat
# Sheet gives APIs, fixed, instead of the hub's pages' policy built per response.
JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"


def _api_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Every API view: a body that is not JSON is a 415 (the form parsers never see it),
    what it writes on a timeline names the request's key (commerce.actors), its answer
    carries the JSON policy, and a wrong method gets the one error shape (ninja answers it
    with a plain-text 405)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if (
            request.method not in ("GET", "HEAD", "OPTIONS")
            and request.body
            and not is_json(request)
        ):
            return errors.render(
                errors.ApiError(
                    415,
                    errors.INVALID_REQUEST,
                    "unsupported_media_type",
                    "Send the request body as JSON, with 'Content-Type: application/json'.",
                )
            )
        with acting_via(lambda: _label(request)):
            response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = JSON_POLICY
        if response.status_code != 405 or response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return response
        error = errors.ApiError(
            405,
            errors.INVALID_REQUEST,
            "method_not_allowed",
            f"{request.method} is not allowed here. Allowed: {response.get('Allow', '')}.",
        )
        replaced = errors.render(error)
        replaced["Allow"] = response.get("Allow", "")
        replaced["Content-Security-Policy"] = JSON_POLICY
        return replaced

    return wrapped


def urls() -> tuple[list[Any], str, str]:
    """The API's URL patterns, for commerce/urls.py."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _api_view(pattern.callback)
    return patterns, app_name, namespace


def openapi_document() -> dict:
    """The OpenAPI 3.1 document, as served at /api/v1/openapi.json."""
    return api.get_openapi_schema(path_prefix="/api/v1")
