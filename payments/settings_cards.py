"""The payments cards of the settings overview, registered in `PaymentsConfig.ready()`:
the Stripe connection's live status, and the webhook events for those who may see them."""

from __future__ import annotations

from commerce.portals.models import Membership, Portal
from commerce.portals.settings_cards import SettingsCard
from payments.connect.services import payment_status
from payments.connect.status import TONES
from payments.webhooks.selectors import events_for_portal


def stripe_connection_card(*, portal: Portal, membership: Membership) -> SettingsCard:
    status = payment_status(portal)
    return SettingsCard(
        "payments/_settings_card_stripe.html", {"label": status.label, "tone": TONES[status]}
    )


def webhook_events_card(*, portal: Portal, membership: Membership) -> SettingsCard | None:
    if not membership.can("webhooks.view"):
        return None
    return SettingsCard(
        "payments/_settings_card_webhooks.html", {"received": events_for_portal(portal).count()}
    )
