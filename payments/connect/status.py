"""The readiness label of a portal's Stripe account, from the account as Stripe sends it.

Checked top to bottom, as in shared/stripe/STRIPE.md (docs.stripe.com/connect/handling-api-verification):
Not connected · Onboarding incomplete · Restricted · Action required ·
Pending verification · Ready to transact · Disconnected.
Standard accounts may omit `requirements` once a link exists: never depend on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models


class AccountStatus(models.TextChoices):
    NOT_CONNECTED = "not_connected", "Not connected"
    ONBOARDING_INCOMPLETE = "onboarding_incomplete", "Onboarding incomplete"
    PENDING_VERIFICATION = "pending_verification", "Pending verification"
    READY = "ready", "Ready to transact"
    ACTION_REQUIRED = "action_required", "Action required"
    RESTRICTED = "restricted", "Restricted"
    DISCONNECTED = "disconnected", "Disconnected"


TONES = {
    AccountStatus.NOT_CONNECTED: "grey",
    AccountStatus.ONBOARDING_INCOMPLETE: "amber",
    AccountStatus.PENDING_VERIFICATION: "blue",
    AccountStatus.READY: "green",
    AccountStatus.ACTION_REQUIRED: "amber",
    AccountStatus.RESTRICTED: "red",
    AccountStatus.DISCONNECTED: "red",
}

_RESTRICTING = ("rejected.", "listed", "platform_paused")
_ACTION = ("action_required", "requirements.past_due")


def account_status(
    account: Mapping[str, Any] | None, *, disconnected: bool = False
) -> AccountStatus:
    if account is None:
        return AccountStatus.NOT_CONNECTED
    if disconnected:
        return AccountStatus.DISCONNECTED
    if not account.get("details_submitted"):
        return AccountStatus.ONBOARDING_INCOMPLETE
    requirements = account.get("requirements") or {}
    disabled_reason = requirements.get("disabled_reason") or ""
    past_due = requirements.get("past_due") or []
    currently_due = requirements.get("currently_due") or []
    if disabled_reason.startswith(_RESTRICTING):
        return AccountStatus.RESTRICTED
    if (
        past_due
        or (currently_due and requirements.get("current_deadline"))
        or disabled_reason.startswith(_ACTION)
    ):
        return AccountStatus.ACTION_REQUIRED
    if not account.get("charges_enabled"):
        # Submitted and nothing we can act on: Stripe is verifying (pending_verification,
        # under_review, or no requirements at all). Something still due without a
        # deadline while charges are off also needs the admin.
        if currently_due:
            return AccountStatus.ACTION_REQUIRED
        return AccountStatus.PENDING_VERIFICATION
    return AccountStatus.READY
