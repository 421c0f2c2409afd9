"""Reads of the inbound webhook events."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from commerce.portals.access import get_for_portal
from commerce.portals.models import Portal
from payments.models import StripeAccount, StripeEvent


def events_for_portal(portal: Portal) -> QuerySet[StripeEvent]:
    """Events of the portal's accounts, including those stored but not yet processed
    (the portal is attached to an event when it is processed)."""
    account_ids = StripeAccount.objects.for_portal(portal).values("stripe_id")
    return StripeEvent.objects.filter(
        Q(portal=portal) | Q(portal__isnull=True, account__in=account_ids)
    )


EVENTS_PAGE_SIZE = 50


def event_list_page(
    *, portal: Portal, state: str = "", type_prefix: str = "", page_number: str | int | None = 1
) -> Page:
    """One page of the operator's events list, newest first: `state` is "pending",
    "failed" (pending with an error) or "processed"; `type_prefix` matches the start of
    the event type. Only the columns the list shows are loaded (not the payloads)."""
    events = events_for_portal(portal)
    if state == "processed":
        events = events.filter(processed_at__isnull=False)
    elif state == "failed":
        events = events.filter(processed_at__isnull=True).exclude(last_error="")
    elif state == "pending":
        events = events.filter(processed_at__isnull=True)
    if type_prefix:
        events = events.filter(type__startswith=type_prefix)
    events = events.only(
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
    )
    return Paginator(events, EVENTS_PAGE_SIZE).get_page(page_number)


def event_get(*, portal: Portal, pk: int) -> StripeEvent:
    """One event of the portal's accounts; another portal's is a 404."""
    return get_for_portal(events_for_portal(portal), portal, pk=pk)
