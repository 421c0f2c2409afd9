"""The webhook endpoint Stripe posts to, and the operator's list of webhook events."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from commerce.portals.access import current_portal, portal_view
from payments import stripe as stripe_api
from payments.connect.services import connection_context
from payments.webhooks import selectors
from payments.webhooks import services as webhooks
from payments.webhooks.forms import EventFilterForm


@portal_view("webhooks.view")
def events(request: HttpRequest) -> HttpResponse:
    portal = current_portal(request)
    form = EventFilterForm(request.GET or None)
    page = selectors.event_list_page(
        portal=portal, page_number=request.GET.get("page"), **form.criteria()
    )
    return render(
        request,
        "payments/events.html",
        {"form": form, "page_obj": page, **connection_context(portal=portal)},
    )


@require_POST
@portal_view("webhooks.view")
def event_retry(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.event_get(portal=current_portal(request), pk=pk)
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
    delivery can't be trusted or can't be stored (the reason in the answer, for Stripe's
    dashboard), 415 for a body that is not JSON; a duplicate is a fast 200."""
    if request.content_type != "application/json":
        return JsonResponse({"error": "the body must be application/json"}, status=415)
    try:
        _event, created = webhooks.event_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
    except (stripe_api.SignatureError, webhooks.InvalidEvent) as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"received": True, "duplicate": not created})
