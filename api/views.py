"""Settings → API keys (super admins only; another portal's key is a 404), and the
interactive API docs at /api/docs."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from commerce.catalog import selectors as product_selectors
from commerce.clock import hub_now
from commerce.portals.access import current_portal, portal_view
from commerce.portals.http import AuthenticatedHttpRequest

from . import errors, selectors, services
from .forms import ApiKeyForm
from .settings_cards import PERMISSION

_SECRET_KEY = "api.new_secret.{}"


@portal_view(PERMISSION)
def key_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = list(selectors.key_list(portal=current_portal(request)))
    return render(request, "api/key_list.html", {"rows": rows, "now": hub_now(), "tab": "api"})


@portal_view(PERMISSION)
def key_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.key_create(
                portal=current_portal(request),
                name=form.cleaned_data["name"],
                scopes=form.scopes(),
                created_by=request.user,
                expires_at=form.expires_at(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # Shown once, on the next page, then forgotten by the session.
            request.session[_SECRET_KEY.format(created.key.pk)] = created.secret
            messages.success(request, "API key created. Copy its secret now.")
            return redirect("api_keys:detail", pk=created.key.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "api/key_form.html", {"form": form, "tab": "api"}, status=status)


@portal_view(PERMISSION)
def key_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    key = selectors.key_get(portal=current_portal(request), pk=pk)
    return render(
        request,
        "api/key_detail.html",
        {
            "key": key,
            "now": hub_now(),
            "new_secret": request.session.pop(_SECRET_KEY.format(key.pk), None),
            "tab": "api",
        },
    )


@require_POST
@portal_view(PERMISSION)
def key_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    key = services.key_revoke(key=selectors.key_get(portal=current_portal(request), pk=pk))
    messages.success(request, f"API key “{key.name}” revoked. Requests with it are refused.")
    return redirect("api_keys:list")


@portal_view(PERMISSION)
def developers(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Settings → Developers: where the API is, this portal's keys, and a first request
    with one of its real product ids."""
    portal = current_portal(request)
    return render(
        request,
        "api/developers.html",
        {
            "base_url": f"{settings.SITE_URL}/api/v1",
            "keys": selectors.active_keys(portal=portal, now=hub_now())[:5],
            "product": product_selectors.product_search(portal=portal).first(),
            "tab": "developers",
        },
    )


def docs(request: HttpRequest) -> HttpResponse:
    """Swagger UI from django-ninja's bundled static files (no CDN): the page's only
    scripts are files of our own origin, so the hub's Content-Security-Policy holds."""
    swagger_settings = {
        "url": reverse("api-v1:openapi-json"),
        "layout": "BaseLayout",
        "deepLinking": True,
    }
    return render(
        request,
        "ninja/swagger.html",
        {
            "swagger_settings": json.dumps(swagger_settings),
            "api": {"title": "Commerce Hub API"},
            "add_csrf": False,
        },
    )


def unknown_path(request: HttpRequest) -> HttpResponse:
    """A URL under /api/v1/ that names no endpoint: the API's 404, not the HTML page."""
    return errors.render(
        errors.ApiError(
            404,
            errors.INVALID_REQUEST,
            "unknown_path",
            f"Unrecognized request URL ({request.method}: {request.path}).",
        )
    )
