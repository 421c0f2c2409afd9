"""Shared model pieces: every tenant table carries `portal` and is queried through it."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PortalQuerySet(models.QuerySet):
    def for_portal(self, portal) -> PortalQuerySet:
        return self.filter(portal=portal)


class PortalOwned(models.Model):
    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PortalQuerySet.as_manager()

    class Meta:
        abstract = True


class TimelineEntry(models.Model):
    """One line of a document's timeline: what happened (the concrete model's `kind`,
    with its own choices), a detail, who did it and when. Newest first."""

    detail = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]
