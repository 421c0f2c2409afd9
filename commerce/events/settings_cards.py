"""The Webhooks card of the settings overview (registered in EventsConfig.ready())."""

from __future__ import annotations

from commerce.portals.models import Membership, Portal
from commerce.portals.settings_cards import SettingsCard

from .models import WebhookEndpoint


def webhooks_card(*, portal: Portal, membership: Membership) -> SettingsCard | None:
    if not membership.can("webhooks.manage"):
        return None
    endpoints = WebhookEndpoint.objects.for_portal(portal)
    return SettingsCard(
        "events/_settings_card.html",
        {"endpoints": endpoints.count(), "enabled": endpoints.filter(enabled=True).count()},
    )
