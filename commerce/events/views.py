"""Settings → Webhooks: the portal's endpoints, their deliveries, and the docs page.
Super admins only (`webhooks.manage`); another portal's endpoint or delivery is a 404."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from commerce.portals.access import current_portal, portal_view
from commerce.portals.http import AuthenticatedHttpRequest

from . import endpoints as services
from . import selectors
from .catalogue import EVENT_TYPES, SAMPLE_OBJECTS
from .delivery import RETRY_SCHEDULE, event_body
from .forms import EndpointForm, ReplayForm
from .models import WebhookEndpoint

PERMISSION = "webhooks.manage"
_SECRET_KEY = "events.new_secret.{}"


def _endpoint(request: AuthenticatedHttpRequest, pk: int) -> WebhookEndpoint:
    return selectors.endpoint_get(portal=current_portal(request), pk=pk)


@portal_view(PERMISSION)
def endpoint_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = list(selectors.endpoint_list(portal=current_portal(request)))
    return render(request, "events/endpoint_list.html", {"rows": rows, "tab": "webhooks"})


@portal_view(PERMISSION)
def endpoint_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_create(
                portal=current_portal(request), **form.service_arguments()
            )
        except services.EndpointError as exc:
            form.add_error("url", str(exc))
        else:
            # Shown once, on the next page, then forgotten by the session.
            request.session[_SECRET_KEY.format(endpoint.pk)] = endpoint.secret
            messages.success(request, "Endpoint added. Copy its signing secret now.")
            return redirect("webhooks:detail", pk=endpoint.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "events/endpoint_form.html", {"form": form, "tab": "webhooks"}, status=status
    )


@portal_view(PERMISSION)
def endpoint_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    form = EndpointForm(request.POST or None, initial=EndpointForm.initial_for(endpoint))
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(endpoint=endpoint, **form.service_arguments())
        except services.EndpointError as exc:
            form.add_error("url", str(exc))
        else:
            messages.success(request, "Endpoint saved.")
            return redirect("webhooks:detail", pk=endpoint.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "events/endpoint_form.html",
        {"form": form, "endpoint": endpoint, "tab": "webhooks"},
        status=status,
    )


@portal_view(PERMISSION)
def endpoint_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    status = request.GET.get("status", "")
    return render(
        request,
        "events/endpoint_detail.html",
        {
            "endpoint": endpoint,
            "new_secret": request.session.pop(_SECRET_KEY.format(endpoint.pk), None),
            "page_obj": selectors.delivery_page(
                endpoint=endpoint, status=status, page_number=request.GET.get("page")
            ),
            "status": status,
            "pending": selectors.endpoint_pending_count(endpoint=endpoint),
            "replay_form": ReplayForm(),
            "tab": "webhooks",
        },
    )


def _back(endpoint: WebhookEndpoint) -> HttpResponse:
    return redirect("webhooks:detail", pk=endpoint.pk)


@require_POST
@portal_view(PERMISSION)
def endpoint_roll_secret(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    endpoint = services.endpoint_roll_secret(endpoint=_endpoint(request, pk))
    request.session[_SECRET_KEY.format(endpoint.pk)] = endpoint.secret
    messages.success(request, "New signing secret made. The old one keeps working for 24 hours.")
    return _back(endpoint)


@require_POST
@portal_view(PERMISSION)
def endpoint_toggle(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    enable = request.POST.get("enabled") == "1"
    endpoint = services.endpoint_set_enabled(endpoint=_endpoint(request, pk), enabled=enable)
    messages.success(request, "Endpoint enabled." if enable else "Endpoint disabled.")
    return _back(endpoint)


@require_POST
@portal_view(PERMISSION)
def endpoint_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    services.endpoint_delete(endpoint=_endpoint(request, pk))
    messages.success(request, "Endpoint deleted.")
    return redirect("webhooks:list")


@require_POST
@portal_view(PERMISSION)
def endpoint_send_test(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    try:
        services.endpoint_send_test(endpoint=endpoint)
    except services.EndpointError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Test event sent. Its delivery shows below.")
    return _back(endpoint)


@require_POST
@portal_view(PERMISSION)
def endpoint_replay(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    form = ReplayForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _back(endpoint)
    try:
        count = services.endpoint_replay(endpoint=endpoint, since=form.cleaned_data["since"])
    except services.EndpointError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{count} event{'' if count == 1 else 's'} queued to send again.")
    return _back(endpoint)


@portal_view(PERMISSION)
def delivery_detail(request: AuthenticatedHttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    delivery = selectors.delivery_get(
        portal=current_portal(request), endpoint=endpoint, pk=delivery_pk
    )
    body = json.dumps(json.loads(event_body(delivery.event, delivery.portal.public_id)), indent=2)
    return render(
        request,
        "events/delivery_detail.html",
        {
            "endpoint": endpoint,
            "delivery": delivery,
            "body": body,
            "attempts": selectors.delivery_attempts(delivery=delivery),
            "tab": "webhooks",
        },
    )


@require_POST
@portal_view(PERMISSION)
def delivery_resend(request: AuthenticatedHttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    delivery = selectors.delivery_get(
        portal=current_portal(request), endpoint=endpoint, pk=delivery_pk
    )
    try:
        services.delivery_resend(delivery=delivery)
    except services.EndpointError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Sending it again, with the same webhook-id.")
    return redirect(reverse("webhooks:delivery", args=[endpoint.pk, delivery.pk]))


@portal_view(PERMISSION)
def docs(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "events/docs.html",
        {
            "event_types": EVENT_TYPES,
            "samples": {k: json.dumps(v, indent=2) for k, v in SAMPLE_OBJECTS.items()},
            "schedule": RETRY_SCHEDULE,
            "tab": "webhooks",
        },
    )
