"""Reads of the inbound webhook events."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from commerce.portals.models import Portal
from payments.models import StripeAccount, StripeEvent


def events_for_portal(portal: Portal) -> QuerySet[StripeEvent]:
    """Events of the portal's accounts, including those stored but not yet processed
    (the portal is attached to an event when it is processed)."""
    account_ids = StripeAccount.objects.for_portal(portal).values("stripe_id")
    return StripeEvent.objects.filter(
        Q(portal=portal) | Q(portal__isnull=True, account__in=account_ids)
    )
