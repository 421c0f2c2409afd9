"""The Accounting card of the settings overview (registered in AccountingConfig.ready())."""

from __future__ import annotations

from commerce.portals.models import Membership, Portal
from commerce.portals.settings_cards import SettingsCard

from .services import accounting_settings_for
from .views import SETTINGS_PERMISSION


def accounting_card(*, portal: Portal, membership: Membership) -> SettingsCard | None:
    if not membership.can(SETTINGS_PERMISSION):
        return None
    return SettingsCard(
        "accounting/_settings_card.html", {"settings": accounting_settings_for(portal=portal)}
    )
