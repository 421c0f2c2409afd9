"""Sets request.portal and request.membership for signed-in users.

The active portal is remembered in the session; a user in several portals switches
with the portal switcher. A portal the user no longer belongs to is never used.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .models import Membership

SESSION_KEY = "portal_id"


class PortalMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.portal = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            membership = _active_membership(request)
            if membership is not None:
                request.membership = membership  # type: ignore[attr-defined]
                request.portal = membership.portal  # type: ignore[attr-defined]
        return self.get_response(request)


def _active_membership(request: HttpRequest) -> Membership | None:
    memberships = Membership.objects.select_related("portal").filter(user=request.user)
    wanted = request.session.get(SESSION_KEY)
    if wanted is not None:
        membership = memberships.filter(portal_id=wanted).first()
        if membership is not None:
            return membership
    membership = memberships.order_by("created_at", "id").first()
    if membership is not None:
        request.session[SESSION_KEY] = membership.portal_id
    return membership
