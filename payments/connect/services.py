"""Connect accounts: onboarding, status, disconnection (services and selectors).

A portal has at most one connected (not disconnected) StripeAccount. Onboarding uses
Account Links (docs.stripe.com/connect/standard-accounts): links are single-use and
short-lived, `refresh_url` asks for a new one, `return_url` carries no state, so we
re-fetch the account.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.db import transaction

from commerce.clock import hub_now
from commerce.events.services import event_record
from commerce.portals.models import Portal, User
from payments import stripe as stripe_api
from payments.connect.status import AccountStatus
from payments.events import stripe_account_snapshot
from payments.models import StripeAccount

log = logging.getLogger(__name__)


class ConnectError(Exception):
    """A refused Connect action; the message is for the person who tried it."""


# --- Selectors ---------------------------------------------------------------------


def account_for_portal(portal: Portal) -> StripeAccount | None:
    """The portal's current account: the connected one, else the latest disconnected one."""
    return (
        StripeAccount.objects.for_portal(portal).order_by("disconnected_at", "-created_at").first()
    )


def payment_status(portal: Portal) -> AccountStatus:
    account = account_for_portal(portal)
    return AccountStatus(account.status) if account else AccountStatus.NOT_CONNECTED


def connection_context(*, portal: Portal) -> dict[str, Any]:
    """What every payments page shows about the connection: the portal's account
    (`stripe_account`, None before the first) and its readiness (`stripe_status`)."""
    account = account_for_portal(portal)
    return {
        "stripe_account": account,
        "stripe_status": AccountStatus(account.status) if account else AccountStatus.NOT_CONNECTED,
    }


def portal_can_accept_payments(portal: Portal) -> bool:
    """Buyers can pay only when the portal's account is Ready to transact."""
    return (
        StripeAccount.objects.for_portal(portal)
        .filter(disconnected_at__isnull=True, status=AccountStatus.READY)
        .exists()
    )


# --- Services ------------------------------------------------------------------------


def onboarding_start(
    *,
    portal: Portal,
    user: User,
    ip: str | None,
    confirmed_us: bool,
    accepted_terms: bool,
    return_url: str,
    refresh_url: str,
) -> str:
    """Records the terms acceptance, creates (or reuses) the portal's account and returns
    the URL of a fresh onboarding link.

    Locks the portal row while the account is created, so two clicks create one account;
    the idempotency key names the portal and its account generation, so a crash after
    Stripe created the account and before we saved it gets the same account back.
    """
    if portal.country != Portal.Country.US:
        raise ConnectError(
            "Stripe payments are available to businesses located in the United States only in this release."
        )
    if not confirmed_us:
        raise ConnectError("Confirm that your business is located in the United States.")
    if not accepted_terms:
        raise ConnectError("Accept the payment processing terms to continue.")

    with transaction.atomic():
        Portal.objects.select_for_update().filter(pk=portal.pk).first()
        account = (
            StripeAccount.objects.for_portal(portal).filter(disconnected_at__isnull=True).first()
        )
        if account is None:
            account = _reusable_account(portal) or _create_account(portal, user)
        account.terms_accepted_by = user
        account.terms_accepted_at = hub_now()
        account.terms_accepted_ip = ip
        account.save(
            update_fields=[
                "terms_accepted_by",
                "terms_accepted_at",
                "terms_accepted_ip",
                "updated_at",
            ]
        )
    return onboarding_link(account=account, return_url=return_url, refresh_url=refresh_url)


def _reusable_account(portal: Portal) -> StripeAccount | None:
    """An account the portal disconnected itself is still ours at Stripe: reconnect it."""
    account = (
        StripeAccount.objects.for_portal(portal)
        .filter(revoked=False, disconnected_at__isnull=False)
        .order_by("-created_at")
        .first()
    )
    if account is None:
        return None
    before = account.status
    account.disconnected_at = None
    account.disconnected_by = None
    account.disconnect_reason = ""
    account.recompute_status()
    account.save()
    _status_changed(account, before)
    return account


def _create_account(portal: Portal, user: User) -> StripeAccount:
    generation = StripeAccount.objects.for_portal(portal).count()
    payload = stripe_api.account_create(
        email=user.email,
        business_name=portal.name,
        portal_ref=str(portal.public_id),
        idempotency_key=f"portal-{portal.public_id}-account-{generation}",
    )
    if StripeAccount.objects.filter(stripe_id=payload["id"]).exclude(portal=portal).exists():
        # A Stripe account belongs to one portal only.
        raise ConnectError("That Stripe account is already connected to another portal.")
    account = StripeAccount(portal=portal, stripe_id=payload["id"], livemode=stripe_api.is_live())
    _apply_payload(account, payload)
    account.save()
    _status_changed(account, AccountStatus.NOT_CONNECTED)
    return account


def _status_changed(account: StripeAccount, before: str) -> None:
    """Records `stripe_account.status_changed` in the caller's transaction, after the
    account's write, when its status is not what it was."""
    if account.status == before:
        return
    event_record(
        portal=account.portal_id,
        type="stripe_account.status_changed",
        object_type="stripe_account",
        object_id=account.stripe_id,
        data=stripe_account_snapshot(account, previous_status=str(before)),
    )


def onboarding_link(*, account: StripeAccount, return_url: str, refresh_url: str) -> str:
    if account.is_disconnected:
        raise ConnectError("This Stripe account is disconnected. Connect Stripe again to continue.")
    link = stripe_api.account_link_create(
        account_id=account.stripe_id,
        refresh_url=refresh_url,
        return_url=return_url,
        # Each link is single-use, so each request is a new one.
        idempotency_key=f"account-link-{account.stripe_id}-{uuid.uuid4().hex}",
    )
    return link["url"]


def _apply_payload(account: StripeAccount, payload: dict) -> None:
    requirements = payload.get("requirements")
    account.charges_enabled = bool(payload.get("charges_enabled"))
    account.payouts_enabled = bool(payload.get("payouts_enabled"))
    account.details_submitted = bool(payload.get("details_submitted"))
    account.requirements = requirements
    account.disabled_reason = (requirements or {}).get("disabled_reason") or ""
    account.email = payload.get("email") or account.email
    account.business_name = (
        (payload.get("business_profile") or {}).get("name")
    ) or account.business_name
    account.last_synced_at = hub_now()
    account.recompute_status()


def account_refresh(*, account: StripeAccount) -> StripeAccount:
    """Re-fetches the account from Stripe and recomputes its status.

    Always re-fetching (rather than trusting an event's payload) makes an older
    account.updated delivered after a newer one harmless.
    """
    if account.revoked:
        return account
    try:
        payload = stripe_api.account_retrieve(account.stripe_id)
    except stripe_api.AccountInvalid:
        # The seam's hook has enqueued the same disconnection; this caller shows it now.
        marked = account_mark_disconnected_by_stripe(
            stripe_id=account.stripe_id, reason=ACCOUNT_INVALID_REASON
        )
        return marked or account
    with transaction.atomic():
        locked = StripeAccount.objects.select_for_update().get(pk=account.pk)
        if locked.revoked:
            return locked
        before = locked.status
        _apply_payload(locked, payload)
        locked.save()
        _status_changed(locked, before)
    if before != locked.status:
        log.info("stripe account %s: %s -> %s", locked.stripe_id, before, locked.status)
    return locked


def account_refresh_by_stripe_id(*, stripe_id: str) -> StripeAccount | None:
    account = StripeAccount.objects.filter(stripe_id=stripe_id).first()
    if account is None:
        return None
    return account_refresh(account=account)


def account_disconnect(*, portal: Portal, user: User) -> StripeAccount:
    """The portal stops using its account. Past payments keep pointing at it; the
    account can be connected again later."""
    with transaction.atomic():
        account = (
            StripeAccount.objects.select_for_update()
            .filter(portal=portal, disconnected_at__isnull=True)
            .first()
        )
        if account is None:
            raise ConnectError("There is no connected Stripe account to disconnect.")
        before = account.status
        account.disconnected_at = hub_now()
        account.disconnected_by = user
        account.disconnect_reason = f"Disconnected by {user.email}"
        account.recompute_status()
        account.save()
        _status_changed(account, before)
    return account


ACCOUNT_INVALID_REASON = "Stripe answered account_invalid"


def account_mark_disconnected_by_stripe(*, stripe_id: str, reason: str) -> StripeAccount | None:
    """Stripe says the account is no longer ours (deauthorized, account_invalid).
    Idempotent: marking twice keeps the first disconnection time."""
    with transaction.atomic():
        account = StripeAccount.objects.select_for_update().filter(stripe_id=stripe_id).first()
        if account is None:
            return None
        before = account.status
        # Events arrive in any order: a re-fetch may meet account_invalid before the
        # deauthorization event itself, whose reason then replaces the generic one.
        account.revoked = True
        account.disconnected_at = account.disconnected_at or hub_now()
        account.disconnect_reason = reason
        account.recompute_status()
        account.save()
        _status_changed(account, before)
    return account


def accounts_needing_refresh(*, older_than: timedelta = timedelta(minutes=10)) -> list[int]:
    """Accounts not yet Ready to transact, in case their webhooks were lost."""
    cutoff = hub_now() - older_than
    return list(
        StripeAccount.objects.filter(disconnected_at__isnull=True, revoked=False)
        .exclude(status=AccountStatus.READY)
        .filter(last_synced_at__lt=cutoff)
        .values_list("pk", flat=True)
    )
