"""The billing run: charges every due period of every subscription exactly once.

How "exactly once" holds, step by step:

1. `billing_due_ids` lists due subscriptions through the (status, next_billing_date) and
   (status, retry_at) indexes; subscriptions that are not due are never read.
2. `billing_charge_batch` claims a batch in one transaction: `SELECT … FOR UPDATE SKIP
   LOCKED` on PostgreSQL (two workers never wait on, or take, each other's rows), then a
   lease (`billing_lease_until`, `billing_lease_owner`) so the claim outlives the
   transaction. On SQLite `skip_locked` is not supported and Django drops it; that is
   still correct because the hub opens SQLite transactions with BEGIN IMMEDIATE
   (settings.py): writers are serialized, so the select-then-lease of one batch cannot
   interleave with another's, and the lease condition is re-checked in the same
   transaction.
3. In that same transaction the BillingCycle of the period (unique per subscription and
   period) and a pending BillingAttempt with its idempotency key
   `bill:{portal}:{subscription}:{period}:{attempt}` are committed *before* Stripe is
   called. A crash after the Stripe call leaves the pending attempt behind; the next
   claim (lease expired, or the redelivered task of the same owner) re-sends the same
   key, and Stripe answers with the same PaymentIntent. After 24 h the key has expired,
   so the intent is looked up by its metadata instead (list by customer and filter:
   there is no Search API in fakestripe) and only created when none exists.
4. Recording the outcome (subscriptions.outcomes) locks the subscription and the
   attempt and does nothing when the attempt is no longer pending, so the run and the
   webhook can race safely.

Every charge first waits for a slot of the billing run's Stripe request budget
(`STRIPE_BUDGET`, in the seam's rate limiter), shared by all workers.

Failures start dunning (subscriptions.dunning): past due, retries on the portal's
schedule, each retry a new attempt with its own key.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from commerce.clock import hub_now
from commerce.events.services import event_record_many
from payments import stripe as stripe_api

from .models import BillingAttempt, BillingCycle, Subscription, SubscriptionEvent
from .outcomes import attempt_record_failure, attempt_record_success, attempts_record_success
from .services import period_start

__all__ = [
    "attempt_record_failure",
    "attempt_record_success",
    "attempt_resolve_from_intent",
    "attempts_record_success",
    "billing_charge_batch",
    "billing_due_ids",
    "hub_now",
]

log = logging.getLogger(__name__)

# Stripe keeps idempotency keys for 24 hours; past that (with a margin) a re-sent key
# could create a second intent, so a pending attempt is resolved by lookup instead.
KEY_LIFETIME = timedelta(hours=23)

# Background Stripe requests of billing (and dunning's retries, which run through it):
# SUBSCRIPTION_STRIPE_REQUESTS_PER_SECOND, shared by every worker process (in Redis when
# REDIS_URL is set), spread over tenths of a second so that checkouts keep room under
# Stripe's limit. 0 turns it off.
STRIPE_BUDGET = stripe_api.RequestBudget(
    name="subscription-billing",
    setting="SUBSCRIPTION_STRIPE_REQUESTS_PER_SECOND",
    shared=True,
    spread=True,
)


@dataclass
class BatchResult:
    claimed: int = 0
    succeeded: int = 0
    failed: int = 0
    deferred: int = 0
    ended: int = 0
    errors: list[str] = field(default_factory=list)
    paid: list[tuple[int, int, dict]] = field(default_factory=list)


def attempt_key(*, portal_id: int, subscription_id: int, period: int, number: int) -> str:
    return f"bill:{portal_id}:{subscription_id}:{period}:{number}"


def _due_q(now: datetime) -> Q:
    today = timezone.localdate(now)
    billable = [Subscription.Status.ACTIVE, Subscription.Status.SCHEDULED]
    return Q(status__in=billable, next_billing_date__lte=today) | Q(
        status=Subscription.Status.PAST_DUE, retry_at__lte=now
    )


def _free_q(now: datetime, owner: str | None = None) -> Q:
    free = Q(billing_lease_until__isnull=True) | Q(billing_lease_until__lt=now)
    return free | Q(billing_lease_owner=owner) if owner else free


def billing_due_ids(*, now: datetime | None = None, limit: int | None = None) -> list[int]:
    """Ids of subscriptions due now and not leased, oldest due first (read only)."""
    now = now or hub_now()
    limit = limit or settings.SUBSCRIPTION_BILLING_MAX_PER_RUN
    return list(
        Subscription.objects.filter(_due_q(now) & _free_q(now))
        .order_by("next_billing_date", "id")
        .values_list("id", flat=True)[:limit]
    )


# --- Claiming ------------------------------------------------------------------------


@dataclass
class _Claim:
    subscription: Subscription
    cycle: BillingCycle
    attempt: BillingAttempt


def _claim(*, ids: list[int], owner: str, now: datetime) -> tuple[list[_Claim], int]:
    """Locks the due, unleased subscriptions among `ids` (skipping rows another worker
    holds), leases them to `owner`, ends those cancelled at period end, and makes sure
    each has its cycle and one pending attempt, all committed before any Stripe call.
    A constant number of queries per batch."""
    with transaction.atomic():
        query = Subscription.objects.filter(Q(pk__in=ids) & _due_q(now) & _free_q(now, owner))
        if connection.features.has_select_for_update_skip_locked:
            query = query.select_for_update(skip_locked=True, of=("self",))
        subscriptions = list(query.order_by("id"))
        if not subscriptions:
            return [], 0
        lease_until = now + timedelta(seconds=settings.SUBSCRIPTION_BILLING_LEASE_SECONDS)
        Subscription.objects.filter(pk__in=[s.pk for s in subscriptions]).update(
            billing_lease_until=lease_until, billing_lease_owner=owner
        )
        ending = [
            s
            for s in subscriptions
            if s.cancel_at_period_end
            and s.status in (Subscription.Status.ACTIVE, Subscription.Status.SCHEDULED)
        ]
        for subscription in ending:
            _end(subscription, now, Subscription.Status.CANCELLED, "Cancelled at period end.")
        # One INSERT for the batch's subscriptions that ended (none in most batches).
        event_record_many(portal=None, type="subscription.cancelled", objs=ending)
        billable = [s for s in subscriptions if s not in ending]
        if not billable:
            return [], len(ending)
        # Each one's current cycle (period = periods billed + 1), when an earlier run
        # made it: fetched by subscription and period, then matched pair by pair.
        wanted = {(s.pk, s.periods_billed + 1) for s in billable}
        cycles = {
            c.subscription_id: c
            for c in BillingCycle.objects.filter(
                subscription_id__in=[s.pk for s in billable],
                period__in={period for _, period in wanted},
            )
            if (c.subscription_id, c.period) in wanted
        }
        # A new cycle starts with its first attempt; an earlier one may still hold a
        # pending attempt (a run that stopped before it knew the outcome).
        pending = (
            {
                a.cycle_id: a
                for a in BillingAttempt.objects.filter(
                    cycle__in=list(cycles.values()), status=BillingAttempt.Status.PENDING
                )
            }
            if cycles
            else {}
        )
        new_cycles = [
            BillingCycle(
                portal_id=s.portal_id,
                subscription=s,
                period=s.periods_billed + 1,
                period_start=s.next_billing_date
                or period_start(s.start_date, s.billing_frequency, s.periods_billed),
                amount=s.amount,
                currency=s.currency,
                attempt_count=1,
            )
            for s in billable
            if s.pk not in cycles
        ]
        retried = [
            cycles[s.pk] for s in billable if s.pk in cycles and cycles[s.pk].pk not in pending
        ]
        for cycle in retried:
            cycle.attempt_count += 1
        for cycle in BillingCycle.objects.bulk_create(new_cycles):
            cycles[cycle.subscription_id] = cycle
        new_attempts = [
            BillingAttempt(
                portal_id=cycle.portal_id,
                cycle=cycle,
                number=cycle.attempt_count,
                idempotency_key=attempt_key(
                    portal_id=cycle.portal_id,
                    subscription_id=cycle.subscription_id,
                    period=cycle.period,
                    number=cycle.attempt_count,
                ),
            )
            for cycle in [*new_cycles, *retried]
        ]
        for attempt in BillingAttempt.objects.bulk_create(new_attempts):
            pending[attempt.cycle_id] = attempt
        if retried:
            BillingCycle.objects.filter(pk__in=[c.pk for c in retried]).update(
                attempt_count=F("attempt_count") + 1, updated_at=now
            )
    claims = []
    for s in billable:
        cycle = cycles[s.pk]
        attempt = pending[cycle.pk]
        attempt.cycle = cycle
        claims.append(_Claim(subscription=s, cycle=cycle, attempt=attempt))
    return claims, len(ending)


def _end(subscription: Subscription, now: datetime, status: str, message: str) -> None:
    subscription.status = status
    subscription.next_billing_date = None
    subscription.retry_at = None
    subscription.billing_lease_until = None
    subscription.billing_lease_owner = ""
    subscription.ended_at = now
    if status == Subscription.Status.CANCELLED:
        subscription.cancelled_at = subscription.cancelled_at or now
    subscription.save(
        update_fields=[
            "status",
            "next_billing_date",
            "retry_at",
            "billing_lease_until",
            "billing_lease_owner",
            "ended_at",
            "cancelled_at",
            "updated_at",
        ]
    )
    SubscriptionEvent.objects.create(
        portal_id=subscription.portal_id, subscription=subscription, kind=status, message=message
    )


# --- Charging --------------------------------------------------------------------------


def _metadata(claim: _Claim) -> dict[str, str]:
    s = claim.subscription
    return {
        "billing_attempt": claim.attempt.idempotency_key,
        "billing_cycle": str(claim.cycle.pk),
        "subscription": str(s.pk),
        "portal": str(s.portal_id),
        "period": str(claim.cycle.period),
    }


def _find_intent(claim: _Claim) -> dict | None:
    """The intent of an attempt whose key may have expired, found by its metadata."""
    s = claim.subscription
    since = int(claim.attempt.created_at.timestamp()) - 3600
    for intent in stripe_api.payment_intents_for_customer(
        account=s.stripe_account_id, customer=s.stripe_customer_id, created_gte=since
    ):
        if (intent.get("metadata") or {}).get("billing_attempt") == claim.attempt.idempotency_key:
            return intent
    return None


def _send(claim: _Claim) -> dict:
    """The off-session charge of the claimed attempt (same parameters on every re-send,
    as Stripe requires for a reused idempotency key)."""
    s, cycle = claim.subscription, claim.cycle
    STRIPE_BUDGET.wait()
    return stripe_api.payment_intent_charge_off_session(
        account=s.stripe_account_id,
        amount=cycle.amount,
        currency=cycle.currency,
        customer=s.stripe_customer_id,
        payment_method=s.payment_method_id,
        description=f"{s.schedule} · period {cycle.period}"[:300],
        metadata=_metadata(claim),
        idempotency_key=claim.attempt.idempotency_key,
    )


def _charge(claim: _Claim, now: datetime, result: BatchResult) -> None:
    s, attempt = claim.subscription, claim.attempt
    intent: dict | None = None
    try:
        if attempt.created_at < now - KEY_LIFETIME:
            STRIPE_BUDGET.wait()
            intent = _find_intent(claim)
        if intent is None:
            if not s.payment_method_id:
                raise stripe_api.InvalidRequest(
                    "no saved payment method",
                    code="payment_method_missing",
                    user_message="No card is saved for this subscription.",
                )
            intent = _send(claim)
    except stripe_api.CardError as exc:
        intent = exc.payment_intent or {}
        code = exc.code or "card_declined"
        attempt_record_failure(
            attempt_id=attempt.pk,
            payment_intent_id=intent.get("id") or "",
            code=code,
            decline_code=exc.decline_code or "",
            message=exc.user_message,
            requires_action=code == "authentication_required",
            subscription_id=s.pk,
        )
        result.failed += 1
        return
    except stripe_api.InvalidRequest as exc:
        # Stale data on our side (card detached, customer gone): a failed attempt that
        # dunning chases, since the buyer can fix it by saving a new card.
        attempt_record_failure(
            attempt_id=attempt.pk,
            payment_intent_id="",
            code=exc.code or "invalid_request",
            decline_code="",
            message=exc.user_message,
            subscription_id=s.pk,
        )
        result.failed += 1
        return
    except stripe_api.StripeServiceError as exc:
        # Stripe unavailable after our retries, or the account is disconnected: the
        # attempt stays pending and is re-sent with the same key on a later run.
        _release(s.pk, claim_owner=s.billing_lease_owner, retry_in=60)
        result.deferred += 1
        result.errors.append(f"{attempt.idempotency_key}: {exc}")
        log.warning("billing %s deferred: %s", attempt.idempotency_key, exc)
        return
    _apply_intent(attempt.pk, intent, result, subscription_id=s.pk)


def _apply_intent(
    attempt_id: int,
    intent: dict,
    result: BatchResult | None = None,
    subscription_id: int | None = None,
) -> None:
    status = intent.get("status")
    if status == "succeeded":
        if result is not None and subscription_id is not None:
            # Recorded with the rest of the batch, in one transaction.
            result.paid.append((subscription_id, attempt_id, intent))
        else:
            attempt_record_success(
                attempt_id=attempt_id, payment_intent=intent, subscription_id=subscription_id
            )
    elif status in ("requires_payment_method", "requires_action", "canceled"):
        error = intent.get("last_payment_error") or {}
        code = error.get("code") or (
            "authentication_required" if status == "requires_action" else "card_declined"
        )
        attempt_record_failure(
            attempt_id=attempt_id,
            payment_intent_id=intent.get("id") or "",
            code=code,
            decline_code=error.get("decline_code") or "",
            # The buyer's e-mail quotes it: the buyer's sentence, not Stripe's message.
            message=stripe_api.buyer_message_for(error),
            requires_action=code == "authentication_required" or status == "requires_action",
            subscription_id=subscription_id,
        )
        if result:
            result.failed += 1
    else:
        # processing: the payment_intent.* webhook (or a later run) settles it.
        attempt = BillingAttempt.objects.select_related("cycle").get(pk=attempt_id)
        BillingAttempt.objects.filter(pk=attempt_id).update(
            payment_intent_id=intent.get("id") or ""
        )
        _release(attempt.cycle.subscription_id, claim_owner=None, retry_in=300)
        if result:
            result.deferred += 1


def _release(subscription_id: int, *, claim_owner: str | None, retry_in: int) -> None:
    """Shortens the lease so a later run (not this one) picks the subscription up again."""
    retry_in = min(retry_in, settings.SUBSCRIPTION_BILLING_LEASE_SECONDS)
    Subscription.objects.filter(pk=subscription_id).update(
        billing_lease_until=hub_now() + timedelta(seconds=retry_in), billing_lease_owner=""
    )


def billing_charge_batch(
    *, subscription_ids: list[int], owner: str | None = None, now: datetime | None = None
) -> BatchResult:
    """Claims and charges the due subscriptions among `subscription_ids`.

    Locks: the subscription rows while claiming (SKIP LOCKED), then each subscription
    and attempt again while recording its outcome. Enqueues nothing; e-mails go out
    after each outcome's commit. `owner` is the lease holder (the task id, so a
    redelivered task takes its own claims back at once)."""
    now = now or hub_now()
    owner = owner or uuid.uuid4().hex
    claims, ended = _claim(ids=subscription_ids, owner=owner, now=now)
    result = BatchResult(claimed=len(claims), ended=ended)
    for claim in claims:
        try:
            _charge(claim, now, result)
        except Exception as exc:  # one bad subscription must not stop the batch
            log.exception("billing %s crashed", claim.attempt.idempotency_key)
            result.errors.append(f"{claim.attempt.idempotency_key}: {exc!r}")
            _release(claim.subscription.pk, claim_owner=owner, retry_in=300)
    # A crash before this commit leaves the paid attempts pending: the next claim
    # re-sends their keys and Stripe answers with the same (succeeded) intents.
    result.succeeded = attempts_record_success(paid=result.paid)
    return result


def attempt_resolve_from_intent(*, account: str, payment_intent: dict) -> bool:
    """A payment_intent.* event of a billing attempt (webhook): settles the attempt from
    the intent as re-fetched from Stripe. Returns False when it names no attempt here."""
    key = (payment_intent.get("metadata") or {}).get("billing_attempt")
    if not key:
        return False
    attempt = (
        BillingAttempt.objects.filter(idempotency_key=key)
        .select_related("cycle__subscription")
        .first()
    )
    if attempt is None or attempt.cycle.subscription.stripe_account_id != account:
        return False
    if attempt.status == BillingAttempt.Status.PENDING:
        _apply_intent(attempt.pk, payment_intent)
    elif (
        attempt.status == BillingAttempt.Status.REQUIRES_ACTION
        and payment_intent.get("status") == "succeeded"
    ):
        # The buyer authenticated the intent on-session after the off-session attempt.
        attempt_record_success(attempt_id=attempt.pk, payment_intent=payment_intent)
    return True
