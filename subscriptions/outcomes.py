"""Outcomes of billing attempts: a paid attempt records its Payment and advances the
subscription; a failed one hands the cycle to dunning. Each one is recorded once: a
second call (the run racing the webhook, a re-sent key) changes nothing."""

from __future__ import annotations

from django.db import transaction

from commerce.clock import hub_now
from commerce.db import update_rows
from commerce.events.services import event_record_many
from payments.models import Payment

from . import dunning
from .models import BillingAttempt, BillingCycle, Subscription, SubscriptionEvent
from .services import period_start


def _card(intent: dict) -> tuple[str, str, str]:
    charge = intent.get("latest_charge")
    if not isinstance(charge, dict):
        return "", "", charge or ""
    card = (charge.get("payment_method_details") or {}).get("card") or {}
    return (card.get("brand") or "")[:20], (card.get("last4") or "")[:4], charge.get("id") or ""


def attempt_record_success(
    *, attempt_id: int, payment_intent: dict, subscription_id: int | None = None
) -> bool:
    """Records one paid attempt (see `attempts_record_success`); False when it was
    already settled, e.g. by the webhook racing the run."""
    if subscription_id is None:
        subscription_id = (
            BillingCycle.objects.filter(attempts__pk=attempt_id)
            .values_list("subscription_id", flat=True)
            .get()
        )
    return attempts_record_success(paid=[(subscription_id, attempt_id, payment_intent)]) == 1


_SUBSCRIPTION_FIELDS = [
    "status",
    "periods_billed",
    "next_billing_date",
    "retry_at",
    "ended_at",
    "billing_lease_until",
    "billing_lease_owner",
    "updated_at",
]


_ATTEMPT_FIELDS = ["status", "payment_intent_id", "finished_at", "updated_at"]


def attempts_record_success(*, paid: list[tuple[int, int, dict]]) -> int:
    """Records paid attempts, given as (subscription id, attempt id, intent), in one
    transaction: each one's Payment (source subscription), its cycle paid, its
    subscription advanced to the next period (completed when the term is reached, back
    to active if it was past due), a timeline entry; its events, one INSERT per type for
    them all: `payment.succeeded` for each new Payment, `subscription.renewed` for each
    subscription advanced and `subscription.completed` for those that reached their
    term; e-mails receipts after commit.

    Locks the subscriptions, then the attempts (in id order, as every writer here does).
    Attempts already settled are skipped, so a second call changes nothing. A constant
    number of queries per call; returns how many were recorded."""
    if not paid:
        return 0
    intents = {attempt_id: intent for _, attempt_id, intent in paid}
    with transaction.atomic():
        subscriptions = {
            s.pk: s
            for s in Subscription.objects.select_for_update(of=("self",))
            .filter(pk__in=sorted({sub_id for sub_id, _, _ in paid}))
            .order_by("pk")
        }
        attempts = [
            a
            for a in BillingAttempt.objects.select_for_update(of=("self",))
            .select_related("cycle")
            .filter(pk__in=sorted(intents))
            .order_by("pk")
            if a.status != BillingAttempt.Status.SUCCEEDED
            and a.cycle.status != BillingCycle.Status.PAID
        ]
        if not attempts:
            return 0
        now = hub_now()
        existing = {
            p.payment_intent_id: p
            for p in Payment.objects.filter(
                payment_intent_id__in=[intents[a.pk]["id"] for a in attempts]
            )
        }
        new_payments = []
        for attempt in attempts:
            intent = intents[attempt.pk]
            if intent["id"] in existing:
                continue
            subscription = subscriptions[attempt.cycle.subscription_id]
            brand, last4, charge_id = _card(intent)
            payment = Payment(
                portal_id=subscription.portal_id,
                contact_id=subscription.contact_id,
                source=Payment.Source.SUBSCRIPTION,
                status=Payment.Status.SUCCEEDED,
                amount=intent.get("amount_received") or intent["amount"],
                currency=intent["currency"],
                application_fee_amount=intent.get("application_fee_amount") or 0,
                card_brand=brand,
                card_last4=last4,
                stripe_account_id=subscription.stripe_account_id,
                payment_intent_id=intent["id"],
                charge_id=charge_id,
                description=f"{subscription.schedule} · period {attempt.cycle.period}"[:300],
                paid_at=now,
            )
            new_payments.append(payment)
            existing[intent["id"]] = payment
        Payment.objects.bulk_create(new_payments)
        events = []
        changed: dict[int, Subscription] = {}
        renewed: dict[int, Subscription] = {}
        for attempt in attempts:
            intent = intents[attempt.pk]
            cycle = attempt.cycle
            subscription = subscriptions[cycle.subscription_id]
            attempt.status = BillingAttempt.Status.SUCCEEDED
            attempt.payment_intent_id = intent["id"]
            attempt.finished_at = now
            attempt.updated_at = now
            cycle.status = BillingCycle.Status.PAID
            cycle.paid_at = now
            cycle.next_retry_at = None
            cycle.updated_at = now
            if cycle.period == subscription.periods_billed + 1:
                _advance(subscription)
                renewed[subscription.pk] = subscription
            subscription.billing_lease_until = None
            subscription.billing_lease_owner = ""
            subscription.updated_at = now
            changed[subscription.pk] = subscription
            events.append(
                SubscriptionEvent(
                    portal_id=subscription.portal_id,
                    subscription=subscription,
                    kind="charge_succeeded",
                    message=f"Period {cycle.period} charged ({intent['id']}).",
                )
            )
        update_rows(
            BillingAttempt,
            [(a.pk, {name: getattr(a, name) for name in _ATTEMPT_FIELDS}) for a in attempts],
            _ATTEMPT_FIELDS,
        )
        BillingCycle.objects.filter(pk__in=[a.cycle.pk for a in attempts]).update(
            status=BillingCycle.Status.PAID, paid_at=now, next_retry_at=None, updated_at=now
        )
        update_rows(
            Subscription,
            [
                (s.pk, {name: getattr(s, name) for name in _SUBSCRIPTION_FIELDS})
                for s in changed.values()
            ],
            _SUBSCRIPTION_FIELDS,
        )
        SubscriptionEvent.objects.bulk_create(events)
        event_record_many(portal=None, type="payment.succeeded", objs=new_payments)
        event_record_many(portal=None, type="subscription.renewed", objs=renewed.values())
        event_record_many(
            portal=None,
            type="subscription.completed",
            objs=[s for s in renewed.values() if s.status == Subscription.Status.COMPLETED],
        )
        # Rendering mail costs more than the bookkeeping: a task on the default queue
        # sends the receipts once this commits, off the billing queue's path.
        cycle_ids = [a.cycle.pk for a in attempts]
        transaction.on_commit(lambda: _enqueue_receipts(cycle_ids))
    return len(attempts)


def _enqueue_receipts(cycle_ids: list[int]) -> None:
    from .tasks import send_receipts

    send_receipts.delay(cycle_ids)


def _advance(subscription: Subscription) -> None:
    subscription.periods_billed += 1
    subscription.retry_at = None
    term = subscription.term_periods
    if term is not None and subscription.periods_billed >= term:
        subscription.status = Subscription.Status.COMPLETED
        subscription.next_billing_date = None
        subscription.ended_at = hub_now()
    else:
        subscription.status = Subscription.Status.ACTIVE
        subscription.next_billing_date = period_start(
            subscription.start_date, subscription.billing_frequency, subscription.periods_billed
        )


def attempt_record_failure(
    *,
    attempt_id: int,
    payment_intent_id: str,
    code: str,
    decline_code: str,
    message: str,
    requires_action: bool = False,
    subscription_id: int | None = None,
) -> bool:
    """Records a failed attempt once and hands the cycle to dunning (past due and the
    next retry, or the end of the subscription after the last one); e-mails the buyer
    and, at the end, the portal, after commit. Locks the subscription, then the attempt.
    Returns False when the attempt was already settled."""
    with transaction.atomic():
        if subscription_id is None:
            subscription_id = (
                BillingCycle.objects.filter(attempts__pk=attempt_id)
                .values_list("subscription_id", flat=True)
                .get()
            )
        subscription = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("contact", "portal")
            .get(pk=subscription_id)
        )
        attempt = (
            BillingAttempt.objects.select_for_update(of=("self",))
            .select_related("cycle")
            .get(pk=attempt_id)
        )
        if attempt.status != BillingAttempt.Status.PENDING:
            return False
        now = hub_now()
        attempt.status = (
            BillingAttempt.Status.REQUIRES_ACTION
            if requires_action
            else BillingAttempt.Status.FAILED
        )
        attempt.payment_intent_id = payment_intent_id or attempt.payment_intent_id
        attempt.failure_code = code[:100]
        attempt.decline_code = decline_code[:100]
        attempt.failure_message = message[:500]
        attempt.finished_at = now
        attempt.save()
        dunning.cycle_failed(subscription=subscription, attempt=attempt, now=now)
    return True
