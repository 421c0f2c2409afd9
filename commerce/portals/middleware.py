"""Sets request.portal and request.membership for signed-in users.

The active portal is remembered in the session; a user in several portals switches
with the portal switcher. Membership is re-read on every request, so a member who is
removed loses access on their next request: the middleware falls back to another of
their portals, or leaves request.portal as None ("no portal" page). While a portal is
active, dates render in its time zone.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import Membership

SESSION_KEY = "portal_id"


class PortalMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.portal = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        membership = None
        if user is not None and user.is_authenticated:
            membership = _active_membership(request, user.pk)
        if membership is None:
            return self.get_response(request)
        request.membership = membership  # type: ignore[attr-defined]
        request.portal = membership.portal  # type: ignore[attr-defined]
        try:
            timezone.activate(ZoneInfo(membership.portal.time_zone))
        except (ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def _active_membership(request: HttpRequest, user_id: int) -> Membership | None:
    memberships = Membership.objects.select_related("portal").filter(user_id=user_id)
    wanted = request.session.get(SESSION_KEY)
    if wanted is not None:
        membership = memberships.filter(portal_id=wanted).first()
        if membership is not None:
            return membership
    membership = memberships.order_by("created_at", "id").first()
    if membership is None:
        request.session.pop(SESSION_KEY, None)
        return None
    if wanted is not None:
        messages.info(
            request,
            f"You no longer have access to your previous portal. You're now in "
            f"{membership.portal.name}.",
        )
    request.session[SESSION_KEY] = membership.portal_id
    return membership
