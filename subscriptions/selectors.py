"""Reads of the subscriptions tool; every query goes through the portal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from commerce.portals.access import for_portal, get_for_portal
from commerce.portals.models import Portal
from payments.models import Payment

from .models import BillingAttempt, Subscription, SubscriptionEvent, SubscriptionItem

PAGE_SIZE = 25


@dataclass(frozen=True, slots=True)
class SubscriptionFilters:
    q: str = ""
    status: str = ""
    due_from: date | None = None
    due_to: date | None = None
    contact_id: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.q or self.status or self.due_from or self.due_to or self.contact_id)


def subscription_search(*, portal: Portal, filters: SubscriptionFilters) -> QuerySet[Subscription]:
    qs = for_portal(Subscription.objects.select_related("contact"), portal)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.due_from:
        qs = qs.filter(next_billing_date__gte=filters.due_from)
    if filters.due_to:
        qs = qs.filter(next_billing_date__lte=filters.due_to)
    if filters.contact_id:
        qs = qs.filter(contact_id=filters.contact_id)
    if filters.q:
        q = filters.q
        qs = qs.filter(
            Q(contact__email__icontains=q)
            | Q(contact__first_name__icontains=q)
            | Q(contact__last_name__icontains=q)
            | Q(contact__company__icontains=q)
            | Q(items__name__icontains=q)
        ).distinct()
    return qs.order_by("-created_at", "-id")


def subscription_list_page(
    *, portal: Portal, filters: SubscriptionFilters, page_number: str | int | None = 1
) -> Page:
    return Paginator(subscription_search(portal=portal, filters=filters), PAGE_SIZE).get_page(
        page_number
    )


def portal_has_subscriptions(portal: Portal) -> bool:
    return for_portal(Subscription.objects.all(), portal).exists()


def subscription_for_detail(*, portal: Portal, pk: int) -> Subscription:
    return get_for_portal(
        Subscription.objects.select_related("contact").prefetch_related("items"), portal, pk=pk
    )


def subscription_items(subscription: Subscription) -> list[SubscriptionItem]:
    """The items of a subscription (prefetched by `subscription_for_detail`)."""
    return list(subscription.items.all())


def subscription_attempts(subscription: Subscription) -> list[BillingAttempt]:
    """Every billing attempt, newest first, with its period (failed ones carry the
    decline code)."""
    return list(
        BillingAttempt.objects.filter(
            portal_id=subscription.portal_id, cycle__subscription=subscription
        )
        .select_related("cycle")
        .order_by("-created_at", "-id")
    )


def subscription_payments(
    subscription: Subscription, attempts: list[BillingAttempt]
) -> list[Payment]:
    intents = [a.payment_intent_id for a in attempts if a.status == "succeeded"]
    query = Q(payment_intent_id__in=intents)
    if subscription.source_checkout_id:
        query |= Q(checkout_id=subscription.source_checkout_id)
    return list(
        Payment.objects.filter(portal_id=subscription.portal_id)
        .filter(query)
        .order_by("-created_at")
    )


def subscription_timeline(subscription: Subscription) -> list[SubscriptionEvent]:
    return list(
        SubscriptionEvent.objects.filter(
            portal_id=subscription.portal_id, subscription=subscription
        )
        .select_related("actor")
        .order_by("-created_at", "-id")[:200]
    )
