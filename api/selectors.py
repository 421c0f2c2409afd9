"""Reads of API keys. Every query starts from the portal."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from commerce.portals.access import for_portal, get_for_portal
from commerce.portals.models import Portal

from .models import ApiKey


def key_list(*, portal: Portal) -> QuerySet[ApiKey]:
    return for_portal(ApiKey.objects.select_related("created_by"), portal).order_by(
        "-created_at", "-id"
    )


def key_get(*, portal: Portal, pk: int) -> ApiKey:
    """One key of `portal`; another portal's is a 404."""
    return get_for_portal(ApiKey.objects.all(), portal, pk=pk)


def active_keys(*, portal: Portal, now: datetime) -> QuerySet[ApiKey]:
    """The keys that work now (not revoked, not expired), newest first."""
    return key_list(portal=portal).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now), revoked_at__isnull=True
    )
