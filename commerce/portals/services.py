"""Writes of the portals app: portals, branding, users and memberships.

Every service that changes who belongs to a portal first locks the portal row
(`SELECT … FOR UPDATE`). That serialises membership changes per portal, so two super
admins demoting each other at the same moment cannot leave the portal with none.
Refusals raise `PortalError` before anything is written.
"""

from __future__ import annotations

from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from commerce.clock import hub_now

from .emails import send_membership_email
from .logos import logo_content_type
from .models import Membership, Portal, User
from .permissions import Role


class PortalError(ValidationError):
    """A refused portal or team change, with a message that can be shown to the user."""

    message: str

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def _lock_portal(portal: Portal) -> Portal:
    return Portal.objects.select_for_update().get(pk=portal.pk)


def _lock_membership(membership: Membership) -> Membership:
    """Re-reads the membership under the portal lock; gone means someone removed it."""
    _lock_portal(membership.portal)
    locked = (
        Membership.objects.select_for_update()
        .select_related("user", "portal")
        .filter(pk=membership.pk, portal_id=membership.portal_id)
        .first()
    )
    if locked is None:
        raise PortalError("That person is no longer a member of this portal.")
    return locked


def _other_super_admins(membership: Membership) -> int:
    return (
        Membership.objects.filter(portal_id=membership.portal_id, role=Role.SUPER_ADMIN)
        .exclude(pk=membership.pk)
        .count()
    )


@transaction.atomic
def portal_create(*, name: str, owner: User, time_zone: str = "America/New_York") -> Portal:
    """Creates a portal with `owner` as its first super admin."""
    portal = Portal.objects.create(name=name, time_zone=time_zone)
    Membership.objects.create(portal=portal, user=owner, role=Role.SUPER_ADMIN)
    return portal


@transaction.atomic
def portal_update_branding(
    *,
    portal: Portal,
    name: str,
    time_zone: str,
    accent_colour: str,
    checkout_text: str = "",
    support_email: str = "",
) -> Portal:
    """Saves the portal's details and branding. Validates with the model's own rules
    (hex colour, known time zone); raises ValidationError with field errors."""
    locked = _lock_portal(portal)
    locked.name = name.strip()
    locked.time_zone = time_zone
    locked.accent_colour = accent_colour.lower()
    locked.checkout_text = checkout_text.strip()
    locked.support_email = support_email.strip().lower()
    fields = ["name", "time_zone", "accent_colour", "checkout_text", "support_email"]
    locked.full_clean(exclude=[f.name for f in Portal._meta.fields if f.name not in fields])
    locked.save(update_fields=fields)
    return locked


@transaction.atomic
def portal_set_logo(*, portal: Portal, content: bytes) -> Portal:
    """Stores a logo after checking it with Pillow (PNG, JPEG, WebP or GIF, ≤ 512 KB)."""
    try:
        content_type = logo_content_type(content)
    except ValidationError as exc:
        raise PortalError(exc.messages[0]) from None
    locked = _lock_portal(portal)
    locked.logo = content
    locked.logo_content_type = content_type
    locked.logo_updated_at = hub_now()
    locked.save(update_fields=["logo", "logo_content_type", "logo_updated_at"])
    return locked


@transaction.atomic
def portal_remove_logo(*, portal: Portal) -> Portal:
    locked = _lock_portal(portal)
    locked.logo = None
    locked.logo_content_type = ""
    locked.logo_updated_at = hub_now()
    locked.save(update_fields=["logo", "logo_content_type", "logo_updated_at"])
    return locked


@transaction.atomic
def membership_invite(
    *, portal: Portal, email: str, role: str, invited_by: User, name: str = ""
) -> Membership:
    """Adds the person with `email` to the portal in `role`.

    Someone without an account gets a user with no usable password and an invitation to
    choose one; someone with an account gets a notice. The e-mail goes out after commit.
    Locks the portal row.
    """
    email = User.objects.normalize_email(email.strip()).lower()
    if role not in Role.values:
        raise PortalError("Choose one of the roles.")
    locked = _lock_portal(portal)
    user = User.objects.filter(email__iexact=email).first()
    if user is not None and Membership.objects.filter(portal=locked, user=user).exists():
        raise PortalError(f"{email} is already a member of {locked.name}.")
    try:
        with transaction.atomic():
            if user is None:
                user = User.objects.create_user(email=email, password=None, name=name.strip())
            membership = Membership.objects.create(
                portal=locked, user=user, role=role, invited_by=invited_by
            )
    except IntegrityError:  # the same address invited elsewhere at the same moment
        raise PortalError(f"{email} was just added by someone else. Reload the page.") from None
    transaction.on_commit(partial(send_membership_email, membership_id=membership.pk), robust=True)
    return membership


@transaction.atomic
def membership_resend_invitation(*, membership: Membership) -> None:
    """Sends the invitation again (the link of the first one may have expired)."""
    locked = _lock_membership(membership)
    if locked.user.has_usable_password():
        raise PortalError(f"{locked.user.email} has already joined; there is nothing to resend.")
    transaction.on_commit(partial(send_membership_email, membership_id=locked.pk), robust=True)


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str) -> Membership:
    """Gives the member another role. The last super admin of a portal keeps the role.
    Locks the portal row and the membership."""
    if role not in Role.values:
        raise PortalError("Choose one of the roles.")
    locked = _lock_membership(membership)
    if locked.role == role:
        return locked
    if locked.role == Role.SUPER_ADMIN and _other_super_admins(locked) == 0:
        raise PortalError(
            f"{locked.user} is the last super admin of {locked.portal.name}. "
            "Make someone else a super admin first."
        )
    locked.role = role
    locked.save(update_fields=["role"])
    return locked


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    """Takes the member out of the portal: they lose access on their next request.
    Their user account and everything they created stay. The last super admin of a
    portal can't be removed. Locks the portal row and the membership."""
    locked = _lock_membership(membership)
    if locked.role == Role.SUPER_ADMIN and _other_super_admins(locked) == 0:
        raise PortalError(
            f"{locked.user} is the last super admin of {locked.portal.name} and can't be "
            "removed. Make someone else a super admin first."
        )
    locked.delete()
