"""Reads of webhook endpoints and deliveries, always through the portal."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet

from commerce.portals.access import get_for_portal
from commerce.portals.models import Portal

from .catalogue import EVENT_TYPES
from .models import Delivery, DeliveryAttempt, Event, WebhookEndpoint

DELIVERIES_PAGE_SIZE = 25


def endpoint_list(*, portal: Portal) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.for_portal(portal).order_by("created_at", "id")


def endpoint_get(*, portal: Portal, pk: int) -> WebhookEndpoint:
    """One endpoint of the portal; another portal's is a 404."""
    return get_for_portal(WebhookEndpoint.objects.all(), portal, pk=pk)


def delivery_page(
    *, endpoint: WebhookEndpoint, status: str = "", page_number: str | int | None = 1
) -> Page:
    """Recent deliveries of an endpoint, newest first, with their event's type and id
    (not its payload) and how many attempts each has had in all."""
    deliveries = (
        Delivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .defer("event__data")
        .annotate(attempt_count=Count("attempt_log"))
        .order_by("-created_at", "-id")
    )
    if status in Delivery.Status.values:
        deliveries = deliveries.filter(status=status)
    return Paginator(deliveries, DELIVERIES_PAGE_SIZE).get_page(page_number)


def delivery_get(*, portal: Portal, endpoint: WebhookEndpoint, pk: int) -> Delivery:
    """One delivery of this endpoint of the portal; anything else is a 404."""
    return get_for_portal(
        Delivery.objects.filter(endpoint=endpoint).select_related("event", "endpoint", "portal"),
        portal,
        pk=pk,
    )


def delivery_attempts(*, delivery: Delivery) -> QuerySet[DeliveryAttempt]:
    return DeliveryAttempt.objects.filter(delivery=delivery).order_by("-attempted_at", "-id")


def endpoint_pending_count(*, endpoint: WebhookEndpoint) -> int:
    """Deliveries still to go (read through the partial index on pending rows)."""
    return Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.PENDING).count()


def event_list(*, portal: Portal, type: str = "") -> QuerySet[Event]:
    """The portal's events a receiver could be sent (no internal ones), newest first."""
    internal = [t.name for t in EVENT_TYPES if t.internal]
    events = Event.objects.filter(portal=portal).exclude(type__in=internal)
    if type:
        events = events.filter(type=type)
    return events.order_by("-id")


def event_get(*, portal: Portal, public_id: str) -> Event:
    """One event of the portal by its public id (`evt_…`); another portal's is a 404."""
    return get_for_portal(event_list(portal=portal), portal, public_id=public_id)
