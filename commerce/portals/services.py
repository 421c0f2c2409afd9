"""Writes of the portals app: portals, users, memberships."""

from __future__ import annotations

from django.db import transaction

from .models import Membership, Portal, User
from .permissions import Role


@transaction.atomic
def portal_create(*, name: str, owner: User, time_zone: str = "America/New_York") -> Portal:
    """Creates a portal with `owner` as its first super admin."""
    portal = Portal.objects.create(name=name, time_zone=time_zone)
    Membership.objects.create(portal=portal, user=owner, role=Role.SUPER_ADMIN)
    return portal
