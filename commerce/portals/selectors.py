"""Reads of the portals app: the team of a portal and its summary."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.db.models.functions import Lower

from .access import get_for_portal
from .models import Membership, Portal
from .permissions import Role

_ROLE_ORDER = Case(
    When(role=Role.SUPER_ADMIN, then=Value(0)),
    When(role=Role.BILLING_ADMIN, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def membership_list(*, portal: Portal) -> QuerySet[Membership]:
    """The portal's members, super admins first, then by name."""
    return (
        Membership.objects.filter(portal=portal)
        .select_related("user", "invited_by")
        .order_by(_ROLE_ORDER, Lower("user__name"), Lower("user__email"))
    )


def membership_get(*, portal: Portal, pk: int) -> Membership:
    """One member of `portal` with their user; another portal's is a 404."""
    return get_for_portal(Membership.objects.select_related("user", "portal"), portal, pk=pk)


def user_membership(*, user_id: int, portal_id: int) -> Membership | None:
    """The user's membership of that portal, or None when they are not a member."""
    return (
        Membership.objects.select_related("portal")
        .filter(user_id=user_id, portal_id=portal_id)
        .first()
    )


def invitation_membership(*, user_id: int, portal_public_id: UUID) -> Membership | None:
    """The membership an invitation link names, with who sent it."""
    return (
        Membership.objects.select_related("portal", "invited_by")
        .filter(user_id=user_id, portal__public_id=portal_public_id)
        .first()
    )


def portal_with_logo(*, public_id: UUID) -> Portal | None:
    """The portal of a public logo URL, with only its logo loaded."""
    return Portal.objects.filter(public_id=public_id).only("logo", "logo_content_type").first()


def membership_is_pending(membership: Membership) -> bool:
    """An invited person who has not chosen a password yet."""
    user = membership.user
    return user.last_login is None and not user.has_usable_password()


def team_summary(*, portal: Portal) -> dict:
    members = list(membership_list(portal=portal))
    return {
        "members": len(members),
        "pending": sum(1 for m in members if membership_is_pending(m)),
        "super_admins": sum(1 for m in members if m.role == Role.SUPER_ADMIN),
        "preview": members[:5],
    }
