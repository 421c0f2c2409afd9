"""Dunning: what happens after a failed charge, and the buyer's e-mails.

A failed attempt moves the subscription to past due and schedules the next retry on the
portal's schedule (SubscriptionSettings: by default 8 retries over 14 days, the gaps
growing); each retry is a new BillingAttempt with its own idempotency key. After the last
failed retry the subscription is cancelled (or left unpaid, per portal) and the portal's
admins are told. Every mail is sent after the surrounding transaction commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse

from commerce.clock import format_day
from commerce.events.services import event_record_several
from commerce.notifications import notify_portal, send_templated_email
from payments import stripe as stripe_api
from payments.events import failed_payment_snapshot
from payments.models import Payment

from .models import (
    BillingAttempt,
    BillingCycle,
    Subscription,
    SubscriptionEvent,
    SubscriptionSettings,
)

CARD_TOKEN_SALT = "subscriptions.card-update"


def portal_settings(portal_id: int) -> SubscriptionSettings:
    """The portal's dunning policy (defaults when the portal never changed it)."""
    found = SubscriptionSettings.objects.filter(portal_id=portal_id).first()
    return found or SubscriptionSettings(portal_id=portal_id)


def retry_offsets(*, attempts: int, window_days: int) -> list[timedelta]:
    """Delays from the first failure to each retry: growing gaps (triangular numbers
    scaled to the window), the last one exactly `window_days` after the failure.
    8 over 14 days → about 9 h, 1.2 d, 2.3 d, 3.9 d, 5.8 d, 8.2 d, 10.9 d, 14 d."""
    if attempts <= 0:
        return []
    total = attempts * (attempts + 1) / 2
    window = timedelta(days=window_days)
    return [window * ((i * (i + 1) / 2) / total) for i in range(1, attempts + 1)]


def card_update_token(subscription: Subscription) -> str:
    return signing.dumps(
        {"s": subscription.pk, "p": subscription.portal_id}, salt=CARD_TOKEN_SALT, compress=True
    )


def card_update_subscription_id(token: str) -> int | None:
    """The subscription a card-update link names, or None when forged or expired."""
    try:
        data = signing.loads(
            token, salt=CARD_TOKEN_SALT, max_age=settings.SUBSCRIPTION_CARD_LINK_MAX_AGE
        )
    except signing.BadSignature:
        return None
    return int(data["s"]) if isinstance(data, dict) and "s" in data else None


def card_update_url(subscription: Subscription) -> str:
    path = reverse("subscriptions:card_update", args=[card_update_token(subscription)])
    return settings.SITE_URL + path


def cycle_failed(*, subscription: Subscription, attempt: BillingAttempt, now: datetime) -> None:
    """Past due and the next retry, or the end after the last retry. The caller holds
    the subscription's row lock; saves the subscription, the cycle, a timeline entry and
    the events: `subscription.payment_failed`, then `subscription.past_due` when it just
    became past due or `subscription.cancelled` when the last retry cancelled it."""
    cycle: BillingCycle = attempt.cycle
    was = subscription.status
    policy = portal_settings(subscription.portal_id)
    if cycle.first_failed_at is None:
        cycle.first_failed_at = now
    retries_done = attempt.number - 1
    offsets = retry_offsets(attempts=policy.retry_attempts, window_days=policy.retry_window_days)
    reason = attempt.decline_code or attempt.failure_code
    subscription.billing_lease_until = None
    subscription.billing_lease_owner = ""
    if retries_done < len(offsets):
        cycle.status = BillingCycle.Status.RETRYING
        cycle.next_retry_at = max(cycle.first_failed_at + offsets[retries_done], now)
        subscription.status = Subscription.Status.PAST_DUE
        subscription.retry_at = cycle.next_retry_at
        # The portal's day, as the past-due banner shows it: a retry at 5 AM UTC is
        # still the day before in Los Angeles.
        retry_day = format_day(cycle.next_retry_at, subscription.portal.time_zone)
        message = (
            f"Period {cycle.period}: attempt {attempt.number} failed ({reason}); "
            f"retry {retries_done + 1} of {len(offsets)} on {retry_day}."
        )
        last = False
    else:
        cycle.status = BillingCycle.Status.FAILED
        cycle.next_retry_at = None
        subscription.retry_at = None
        if policy.after_last_failure == SubscriptionSettings.AfterLastFailure.CANCEL:
            subscription.status = Subscription.Status.CANCELLED
            subscription.cancelled_at = now
            subscription.ended_at = now
            subscription.next_billing_date = None
        else:
            subscription.status = Subscription.Status.PAST_DUE
        message = f"Period {cycle.period}: last attempt failed ({reason}); " + (
            "subscription cancelled."
            if subscription.status == Subscription.Status.CANCELLED
            else "left unpaid."
        )
        last = True
    cycle.save(update_fields=["status", "next_retry_at", "first_failed_at", "updated_at"])
    subscription.save(
        update_fields=[
            "status",
            "retry_at",
            "cancelled_at",
            "ended_at",
            "next_billing_date",
            "billing_lease_until",
            "billing_lease_owner",
            "updated_at",
        ]
    )
    SubscriptionEvent.objects.create(
        portal_id=subscription.portal_id,
        subscription=subscription,
        kind="charge_failed",
        message=message[:500],
    )
    events: list[dict] = [{"type": "subscription.payment_failed", "obj": subscription}]
    if attempt.payment_intent_id:
        events.append(_payment_failed(subscription, cycle, attempt, now))
    if subscription.status != was and subscription.status in _STATUS_EVENTS:
        events.append({"type": _STATUS_EVENTS[subscription.status], "obj": subscription})
    event_record_several(portal=subscription.portal_id, events=events)
    context = {
        "portal": subscription.portal,
        "subscription": subscription,
        "cycle": cycle,
        "attempt": attempt,
        "last": last,
        "card_update_url": card_update_url(subscription),
        "requires_action": attempt.status == BillingAttempt.Status.REQUIRES_ACTION,
    }
    send_templated_email(
        to=[subscription.contact.email],
        template="subscription_payment_failed",
        context=context,
        reply_to=subscription.portal.support_email or None,
    )
    if last:
        notify_portal(
            portal=subscription.portal, template="subscription_dunning_ended", context=context
        )


def _payment_failed(
    subscription: Subscription, cycle: BillingCycle, attempt: BillingAttempt, now: datetime
) -> dict:
    """`payment.failed` for a renewal charge: as for a hosted checkout, the hub keeps no
    payment row for a failed attempt, so the object's id is the PaymentIntent's."""
    return {
        "type": "payment.failed",
        "object_type": "payment",
        "object_id": attempt.payment_intent_id,
        "data": failed_payment_snapshot(
            payment_intent={"id": attempt.payment_intent_id},
            amount=cycle.amount,
            currency=cycle.currency,
            source=Payment.Source.SUBSCRIPTION,
            contact_id=subscription.contact_id,
            checkout_id=None,
            failure_code=attempt.decline_code or attempt.failure_code,
            failure_message=attempt.failure_message,
            at=now,
        ),
    }


_STATUS_EVENTS = {
    Subscription.Status.PAST_DUE: "subscription.past_due",
    Subscription.Status.CANCELLED: "subscription.cancelled",
}


def send_receipt(*, subscription: Subscription, cycle: BillingCycle, payment: Payment) -> None:
    send_templated_email(
        to=[subscription.contact.email],
        template="subscription_receipt",
        context={
            "portal": subscription.portal,
            "subscription": subscription,
            "cycle": cycle,
            "payment": payment,
        },
        reply_to=subscription.portal.support_email or None,
    )


def send_receipts(*, cycle_ids: list[int]) -> int:
    """Receipts of paid cycles (read only; mails after the caller's commit, if any)."""
    cycles = list(
        BillingCycle.objects.filter(pk__in=cycle_ids, status=BillingCycle.Status.PAID)
        .select_related("subscription__contact", "subscription__portal")
        .prefetch_related("attempts")
    )
    intents = {
        a.payment_intent_id: cycle
        for cycle in cycles
        for a in cycle.attempts.all()
        if a.status == BillingAttempt.Status.SUCCEEDED
    }
    sent = 0
    for payment in Payment.objects.filter(payment_intent_id__in=list(intents)):
        cycle = intents[payment.payment_intent_id]
        send_receipt(subscription=cycle.subscription, cycle=cycle, payment=payment)
        sent += 1
    return sent


# --- The buyer's card-update page -----------------------------------------------------


class CardUpdateError(Exception):
    """The card could not be saved; `user_message` is written for the buyer."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


def card_update_subscription(token: str) -> Subscription | None:
    """The subscription of a card-update link, or None (forged, expired, or ended)."""
    subscription_id = card_update_subscription_id(token)
    if subscription_id is None:
        return None
    return (
        Subscription.objects.select_related("portal", "contact")
        .filter(pk=subscription_id)
        .exclude(status__in=[Subscription.Status.CANCELLED, Subscription.Status.COMPLETED])
        .first()
    )


def overdue_cycle(subscription: Subscription) -> BillingCycle | None:
    return (
        subscription.billing_cycles.filter(status=BillingCycle.Status.RETRYING)
        .order_by("-period")
        .first()
    )


def card_update_start(*, subscription: Subscription) -> dict:
    """A SetupIntent on the connected account for the buyer to save a new card (Stripe.js
    confirms it in the page). Each page load gets its own; unused ones simply expire."""
    return stripe_api.setup_intent_create(
        account=subscription.stripe_account_id,
        customer=subscription.stripe_customer_id,
        metadata={"subscription": str(subscription.pk), "portal": str(subscription.portal_id)},
        idempotency_key=f"card:{subscription.portal_id}:{subscription.pk}:{uuid.uuid4().hex}",
    )


def card_update_complete(*, subscription_id: int, setup_intent_id: str) -> str:
    """Saves the card of a succeeded SetupIntent (re-fetched; it must belong to this
    subscription's customer) as the subscription's payment method, records it in the
    timeline, and retries the overdue period at once (the billing run's own claim, so
    it cannot race a scheduled retry into a second charge).

    Locks the subscription row while switching the card. Returns "paid", "failed" or
    "saved" (nothing was overdue)."""
    from . import billing  # billing imports this module (through outcomes)

    subscription = Subscription.objects.get(pk=subscription_id)
    try:
        intent = stripe_api.setup_intent_retrieve(
            account=subscription.stripe_account_id, setup_intent_id=setup_intent_id
        )
    except stripe_api.StripeServiceError as exc:
        raise CardUpdateError(exc.user_message) from None
    if (
        intent.get("status") != "succeeded"
        or intent.get("customer") != subscription.stripe_customer_id
        or (intent.get("metadata") or {}).get("subscription") != str(subscription.pk)
    ):
        raise CardUpdateError("Your card was not saved. Please try again.")
    payment_method = intent.get("payment_method")
    if isinstance(payment_method, dict):
        payment_method = payment_method.get("id")
    now = billing.hub_now()
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=subscription_id)
        subscription.payment_method_id = payment_method or ""
        overdue = subscription.status == Subscription.Status.PAST_DUE
        if overdue:
            subscription.retry_at = now
        subscription.save(update_fields=["payment_method_id", "retry_at", "updated_at"])
        BillingCycle.objects.filter(
            subscription=subscription, status=BillingCycle.Status.RETRYING
        ).update(next_retry_at=now)
        SubscriptionEvent.objects.create(
            portal_id=subscription.portal_id,
            subscription=subscription,
            kind="card_updated",
            message="The buyer saved a new card.",
        )
    if not overdue:
        return "saved"
    result = billing.billing_charge_batch(subscription_ids=[subscription.pk], now=now)
    return "paid" if result.succeeded else "failed"


def authentication_pending(subscription: Subscription) -> BillingAttempt | None:
    """The overdue attempt whose bank asked the buyer to authenticate, if that is why
    the subscription is past due: the page then confirms that intent on-session."""
    cycle = overdue_cycle(subscription)
    if cycle is None:
        return None
    attempt = cycle.attempts.order_by("-number").first()
    if (
        attempt is not None
        and attempt.status == BillingAttempt.Status.REQUIRES_ACTION
        and attempt.payment_intent_id
    ):
        return attempt
    return None


@dataclass(frozen=True)
class CardPageIntent:
    """What the card-update page hands Stripe.js to confirm."""

    mode: str  # "payment": the overdue charge to authenticate; "setup": save a new card
    client_secret: str
    publishable_key: str


def card_page_intent(*, subscription: Subscription, outcome: str = "") -> CardPageIntent | None:
    """The intent the card-update page confirms: the overdue PaymentIntent (re-fetched)
    when the bank asked the buyer to authenticate it, else a new SetupIntent; None when
    the page only shows the outcome ("paid", "saved"). Raises CardUpdateError with
    a message for the buyer."""
    pending = authentication_pending(subscription) if not outcome else None
    try:
        if pending is not None:
            mode = "payment"
            intent = stripe_api.payment_intent_retrieve(
                account=subscription.stripe_account_id,
                payment_intent_id=pending.payment_intent_id,
            )
        elif outcome not in ("paid", "saved"):
            mode = "setup"
            intent = card_update_start(subscription=subscription)
        else:
            return None
    except stripe_api.StripeServiceError as exc:
        raise CardUpdateError(exc.user_message) from None
    return CardPageIntent(
        mode=mode,
        client_secret=intent["client_secret"],
        publishable_key=stripe_api.publishable_key(),
    )


def authentication_complete(*, subscription_id: int, payment_intent_id: str) -> str:
    """The buyer confirmed the overdue intent on-session: re-fetch it and record the
    payment on its attempt (once; the webhook may race this). Returns "paid" or raises
    CardUpdateError with a message for the buyer."""
    from . import billing  # billing imports this module (through outcomes)

    subscription = Subscription.objects.get(pk=subscription_id)
    attempt = (
        BillingAttempt.objects.filter(
            cycle__subscription=subscription, payment_intent_id=payment_intent_id
        )
        .order_by("-number")
        .first()
    )
    if attempt is None or not payment_intent_id:
        raise CardUpdateError("This payment does not belong to your subscription.")
    try:
        intent = stripe_api.payment_intent_retrieve(
            account=subscription.stripe_account_id,
            payment_intent_id=payment_intent_id,
            expand_charge=True,
        )
    except stripe_api.StripeServiceError as exc:
        raise CardUpdateError(exc.user_message) from None
    if intent.get("status") != "succeeded":
        error = intent.get("last_payment_error") or {}
        raise CardUpdateError(stripe_api.buyer_message_for(error))
    billing.attempt_record_success(
        attempt_id=attempt.pk, payment_intent=intent, subscription_id=subscription.pk
    )
    return "paid"
