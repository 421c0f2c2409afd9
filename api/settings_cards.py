"""The API keys card of the settings overview (registered in ApiConfig.ready())."""

from __future__ import annotations

from commerce.portals.access import for_portal
from commerce.portals.models import Membership, Portal
from commerce.portals.settings_cards import SettingsCard

from .models import ApiKey

PERMISSION = "api_keys.manage"


def api_keys_card(*, portal: Portal, membership: Membership) -> SettingsCard | None:
    if not membership.can(PERMISSION):
        return None
    active = for_portal(ApiKey.objects.all(), portal).filter(revoked_at__isnull=True).count()
    return SettingsCard("api/_settings_card.html", {"active": active})
