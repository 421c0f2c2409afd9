"""Shared model pieces: every tenant table carries `portal` and is queried through it."""

from __future__ import annotations

from django.db import models

from commerce.clock import ClockDateTimeField


class PortalQuerySet(models.QuerySet):
    def for_portal(self, portal) -> PortalQuerySet:
        return self.filter(portal=portal)


class PortalOwned(models.Model):
    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="+")
    created_at = ClockDateTimeField(auto_now_add=True)
    updated_at = ClockDateTimeField(auto_now=True)

    objects = PortalQuerySet.as_manager()

    class Meta:
        abstract = True
