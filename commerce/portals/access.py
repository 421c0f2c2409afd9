"""Access helpers: every view resolves the portal and checks the role here.

`portal_view(permission)` guards a view: anonymous users go to the login page, users
without a portal see an explanation, a role without the permission gets a 403 page.
`get_for_portal` fetches one object of the current portal: an object of another portal
is a 404, so its existence is never confirmed. `require_permission` is for views whose
GET is open to more roles than their POST (read-only pages with an edit form).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Membership, Portal
from .permissions import role_can

M = TypeVar("M", bound=Model)
ViewFunc = Callable[..., HttpResponse]


def portal_view(permission: str) -> Callable[[ViewFunc], ViewFunc]:
    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership: Membership | None = getattr(request, "membership", None)
            if membership is None:
                return render(request, "portals/no_portal.html", status=403)
            if not role_can(membership.role, permission):
                return render(request, "403.html", {"permission": permission}, status=403)
            return view(request, *args, **kwargs)

        wrapped.required_permission = permission  # type: ignore[attr-defined]
        return wrapped

    return decorator


def current_portal(request: HttpRequest) -> Portal:
    portal = getattr(request, "portal", None)
    if portal is None:
        raise Http404("No portal")
    return portal


def current_membership(request: HttpRequest) -> Membership:
    membership = getattr(request, "membership", None)
    if membership is None:
        raise Http404("No portal")
    return membership


def has_permission(request: HttpRequest, permission: str) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and role_can(membership.role, permission)


def require_permission(request: HttpRequest, permission: str) -> None:
    """Raises PermissionDenied (the 403 page) unless the member's role has `permission`."""
    if not has_permission(request, permission):
        raise PermissionDenied(permission)


def for_portal(queryset: QuerySet[M], request_or_portal: HttpRequest | Portal) -> QuerySet[M]:
    portal = (
        request_or_portal
        if isinstance(request_or_portal, Portal)
        else current_portal(request_or_portal)
    )
    return queryset.filter(portal=portal)


def get_for_portal(
    queryset: QuerySet[M], request_or_portal: HttpRequest | Portal, **lookup: Any
) -> M:
    try:
        return for_portal(queryset, request_or_portal).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError):  # type: ignore[attr-defined]
        raise Http404("Not found") from None
