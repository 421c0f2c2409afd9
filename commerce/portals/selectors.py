"""Reads of the portals app: the team of a portal and its summary."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.db.models.functions import Lower

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
