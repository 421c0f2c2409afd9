"""`--portal <id or name>` for the catalog's management commands."""

from __future__ import annotations

from django.core.management.base import CommandError

from commerce.ids import parse_id
from commerce.portals.models import Portal


def portal_from_option(value: str) -> Portal:
    """The portal with id `value`, or else the one named `value` (ignoring case)."""
    value = value.strip()
    if (pk := parse_id(value)) is not None:
        portal = Portal.objects.filter(pk=pk).first()
        if portal is not None:
            return portal
    portals = list(Portal.objects.filter(name__iexact=value).order_by("pk")[:10])
    if not portals:
        raise CommandError(f"No portal has the id or name “{value}”.")
    if len(portals) > 1:
        ids = ", ".join(str(p.pk) for p in portals)
        raise CommandError(f"Several portals are named “{value}”; pass one of their ids: {ids}.")
    return portals[0]
