"""The webhook endpoint Stripe posts to, and the operator's list of webhook events."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from commerce.portals.access import current_portal, get_for_portal, portal_view
from payments import stripe as stripe_api
from payments.connect.views import status_context
from payments.webhooks import selectors
from payments.webhooks import services as webhooks
from payments.webhooks.forms import EventFilterForm


@portal_view("webhooks.view")
def events(request: HttpRequest) -> HttpResponse:
    form = EventFilterForm(request.GET or None)
    queryset = form.filter(selectors.events_for_portal(current_portal(request)))
    page = Paginator(
        queryset.only(
            "id",
            "stripe_id",
            "type",
            "created",
            "received_at",
            "processed_at",
            "attempts",
            "last_error",
            "note",
            "source",
        ),
        50,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/events.html",
        {"form": form, "page_obj": page, **status_context(request)},
    )


@require_POST
@portal_view("webhooks.view")
def event_retry(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_for_portal(selectors.events_for_portal(current_portal(request)), request, pk=pk)
    if event.processed_at:
        messages.info(request, "That event was already processed.")
    else:
        webhooks.event_retry(event=event)
        messages.success(request, f"Retrying {event.type} ({event.stripe_id}).")
    return redirect(
        reverse("payments:events") + (f"?{request.GET.urlencode()}" if request.GET else "")
    )


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """One endpoint for platform and Connect events. 400 and nothing stored when the
    delivery can't be trusted; a duplicate is a fast 200."""
    try:
        _event, created = webhooks.event_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
    except stripe_api.SignatureError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"received": True, "duplicate": not created})
