"""Refunds and disputes: the services that change a payment after it was paid.

A refund made from the hub runs in three steps, so that Stripe is never called while a
row is locked and a crash never loses track of money:

1. `_refund_reserve` locks the payment, checks the amount against what is left, and
   commits a *pending* Refund carrying the idempotency key (derived from the refund
   form's one-time token). A double submit or a retry of the same form finds that row
   and re-sends the same key, so Stripe returns the same refund instead of a second one
   (docs.stripe.com/api/idempotent_requests).
2. Stripe is called through the seam, outside any transaction.
3. `_refund_record` locks the payment again and records Stripe's answer; on a Stripe
   error `_refund_fail` marks the local refund Failed (kept, with the reason, for the
   record) and nothing is counted as refunded.

Refunds made in Stripe's dashboard, and the later fate of ours, arrive by webhook:
`payment_sync_refunds` re-fetches the charge and its refunds and mirrors them, so the
order in which events arrive does not matter. `payment_apply_dispute` mirrors a
dispute and e-mails the portal's admins the first time a dispute is seen.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse

from commerce import ids, money
from commerce.events.services import event_record
from commerce.notifications import notify_portal
from commerce.portals.models import User
from payments import stripe as stripe_api
from payments.models import DISPUTE_CLOSED_STATUSES, Payment, Refund

log = logging.getLogger(__name__)

REFUNDABLE_STATUSES = frozenset({Payment.Status.SUCCEEDED, Payment.Status.PARTIALLY_REFUNDED})
# docs.stripe.com/api/refunds/object#refund_object-status; requires_action is still open.
_REFUND_STATUSES = {
    "succeeded": Refund.Status.SUCCEEDED,
    "pending": Refund.Status.PENDING,
    "requires_action": Refund.Status.PENDING,
    "failed": Refund.Status.FAILED,
    "canceled": Refund.Status.CANCELED,
}
# Dispute outcomes after which the money stays with the seller.
_DISPUTE_SELLER_KEEPS = frozenset({"won", "warning_closed", "prevented"})
NOTE_MAX_LENGTH = 300


class RefundError(Exception):
    """A refund that cannot be made; the message is written for the admin."""


# --- Refund from the hub ---------------------------------------------------------------


def refund_idempotency_key(*, payment: Payment, attempt: str) -> str:
    """The key names the payment and the form's one-time token: the same form submitted
    twice (or retried after a crash) is the same refund at Stripe."""
    try:
        token = uuid.UUID(str(attempt))
    except ValueError:
        raise RefundError("This refund form has expired. Reload the page and try again.") from None
    return f"refund:{payment.payment_intent_id}:{token}"


def payment_refund(
    *,
    payment: Payment,
    amount: int,
    reason: str,
    note: str,
    user: User | None,
    attempt: str,
) -> Refund:
    """Refunds `amount` cents of `payment` through Stripe and returns the Refund.

    Locks the payment row (SELECT … FOR UPDATE) twice, briefly: to reserve the amount
    with a pending Refund, then to record Stripe's answer; Stripe is called between the
    two, outside any transaction. Enqueues nothing: Stripe's own `refund.created` /
    `charge.refunded` webhooks later confirm the same figures.
    Raises RefundError (nothing refunded, nothing counted) with a message for people.
    """
    key = refund_idempotency_key(payment=payment, attempt=attempt)
    refund = _refund_reserve(
        payment_id=payment.pk, amount=amount, reason=reason, note=note, user=user, key=key
    )
    if refund.status == Refund.Status.FAILED:
        raise RefundError(refund.failure_message or "This refund failed.")
    if refund.stripe_id:
        return refund  # the same form again, already answered by Stripe
    try:
        data = stripe_api.refund_create(
            account=payment.stripe_account_id,
            charge=payment.charge_id or None,
            payment_intent=None if payment.charge_id else payment.payment_intent_id,
            amount=refund.amount,
            reason=refund.reason or None,
            metadata={"hub_refund": str(refund.pk), "portal": str(payment.portal_id)},
            idempotency_key=key,
        )
    except stripe_api.StripeServiceError as exc:
        message = _failure_message(exc)
        _refund_fail(refund_id=refund.pk, message=message)
        log.warning("refund %s of payment %s failed: %s", refund.pk, payment.pk, exc)
        raise RefundError(message) from None
    return _refund_record(refund_id=refund.pk, data=data)


def _refund_reserve(
    *, payment_id: int, amount: int, reason: str, note: str, user: User | None, key: str
) -> Refund:
    """Locks the payment, validates, and commits the pending Refund (or finds the one
    this form already made)."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        existing = Refund.objects.filter(payment=payment, idempotency_key=key).first()
        if existing is not None:
            return existing
        _check_refundable(payment, amount)
        if reason and reason not in Refund.Reason.values:
            raise RefundError("Choose a reason from the list.")
        if len(note) > NOTE_MAX_LENGTH:
            raise RefundError(f"Keep the note under {NOTE_MAX_LENGTH} characters.")
        return Refund.objects.create(
            portal_id=payment.portal_id,
            payment=payment,
            amount=amount,
            reason=reason,
            note=note.strip(),
            status=Refund.Status.PENDING,
            idempotency_key=key,
            created_by=user,
        )


def refundable_now(payment: Payment) -> int:
    """What is left to refund: the gross, less what Stripe counts as refunded, less our
    refunds still on their way to Stripe (not yet in Stripe's count)."""
    in_flight = (
        Refund.objects.filter(
            payment=payment, status=Refund.Status.PENDING, stripe_id__isnull=True
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    return max(0, payment.amount - payment.refunded_amount - in_flight)


def _check_refundable(payment: Payment, amount: int) -> None:
    if payment.status == Payment.Status.DISPUTED:
        raise RefundError(
            "This payment is disputed. Stripe doesn't allow refunds while a dispute is open: "
            "respond to the dispute in your Stripe dashboard instead."
        )
    if payment.status == Payment.Status.REFUNDED:
        raise RefundError("This payment is already fully refunded.")
    if payment.status not in REFUNDABLE_STATUSES:
        raise RefundError("Only a completed payment can be refunded.")
    if amount <= 0:
        raise RefundError("Enter an amount more than zero.")
    left = refundable_now(payment)
    if left <= 0:
        raise RefundError(
            "Nothing is left to refund on this payment: another refund is still on its way."
        )
    if amount > left:
        raise RefundError(f"You can refund at most {money.format_cents(left, payment.currency)}.")


def _refund_record(*, refund_id: int, data: dict) -> Refund:
    with transaction.atomic():
        payment_id = Refund.objects.values_list("payment_id", flat=True).get(pk=refund_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        _apply_stripe_refund(refund, data)
        refund.save()
        _recount(payment, refunded=_local_refunded_total(payment))
    return refund


def _refund_fail(*, refund_id: int, message: str) -> None:
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.stripe_id:  # a webhook already recorded Stripe's answer
            return
        refund.status = Refund.Status.FAILED
        refund.failure_message = message[:500]
        refund.save(update_fields=["status", "failure_message", "updated_at"])


def _failure_message(exc: stripe_api.StripeServiceError) -> str:
    if isinstance(exc, stripe_api.StripeUnavailable):
        return (
            "Stripe didn't answer, so the refund was not confirmed and nothing is counted as "
            "refunded. If Stripe made it anyway, it will appear here within minutes; "
            "otherwise try again."
        )
    if isinstance(exc, stripe_api.AccountInvalid):
        return exc.user_message + " Nothing was refunded."
    if exc.code == "charge_disputed":
        return "Stripe refused: this payment is disputed. Respond to the dispute in Stripe instead."
    if exc.code in {"amount_too_large", "charge_already_refunded"}:
        return (
            "Stripe refused: less is left to refund than the hub shows (a refund may have been "
            "made in Stripe's dashboard). Nothing was refunded; reload the page in a minute."
        )
    return "Stripe refused this refund, so nothing was refunded. Please try again later."


# --- Mirroring Stripe (webhooks) --------------------------------------------------------


def payment_sync_refunds(*, payment: Payment, charge_id: str = "") -> Payment:
    """Mirrors the charge's refunds and refunded total from Stripe, whichever event
    brought us here and in whatever order events arrive.

    Calls Stripe first (the charge and its refunds), then locks the payment row and
    upserts each refund by its Stripe id (or, for one of ours whose answer was never
    recorded, by the `hub_refund` metadata we sent). Enqueues nothing.
    """
    charge_id = payment.charge_id or charge_id
    if not charge_id:
        raise ValueError(f"payment {payment.pk} has no charge to sync")
    charge = stripe_api.charge_retrieve(account=payment.stripe_account_id, charge_id=charge_id)
    refunds = stripe_api.refunds_for_charge(account=payment.stripe_account_id, charge_id=charge_id)
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if not payment.charge_id:
            payment.charge_id = charge_id
        for data in refunds:
            _upsert_refund(payment, data)
        _recount(payment, refunded=int(charge.get("amount_refunded") or 0))
    return payment


def _upsert_refund(payment: Payment, data: dict) -> Refund:
    refund = Refund.objects.filter(portal_id=payment.portal_id, stripe_id=data["id"]).first()
    if refund is None:
        hub_id = ids.parse_id((data.get("metadata") or {}).get("hub_refund"))
        if hub_id is not None:
            refund = Refund.objects.filter(
                payment=payment, pk=hub_id, stripe_id__isnull=True
            ).first()
    if refund is None:
        refund = Refund(
            portal_id=payment.portal_id,
            payment=payment,
            created_at=datetime.fromtimestamp(int(data.get("created") or 0), tz=UTC),
        )
    _apply_stripe_refund(refund, data)
    refund.save()
    return refund


def _apply_stripe_refund(refund: Refund, data: dict) -> None:
    refund.stripe_id = data["id"]
    refund.amount = int(data["amount"])
    refund.status = _REFUND_STATUSES.get(data.get("status") or "", Refund.Status.PENDING)
    if data.get("reason"):
        refund.reason = str(data["reason"])[:30]
    refund.balance_transaction_id = _id_of(data.get("balance_transaction"))
    if refund.status == Refund.Status.FAILED:
        refund.failure_message = f"The card network returned this refund ({data.get('failure_reason') or 'unknown reason'})."
    else:
        refund.failure_message = ""


def _local_refunded_total(payment: Payment) -> int:
    # Stripe counts pending refunds in the charge's amount_refunded, so do we.
    return (
        Refund.objects.filter(
            payment=payment,
            stripe_id__isnull=False,
            status__in=[Refund.Status.SUCCEEDED, Refund.Status.PENDING],
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )


def _recount(payment: Payment, *, refunded: int) -> None:
    """Sets the refunded total and the status that follows from it; records
    `payment.refunded` when more of the payment is refunded than before (so the hub's
    answer and Stripe's webhooks about one refund record it once). The caller holds the
    payment's row lock."""
    before = payment.refunded_amount
    payment.refunded_amount = max(0, min(refunded, payment.amount))
    payment.status = _settled_status(payment)
    payment.save(update_fields=["refunded_amount", "status", "charge_id", "updated_at"])
    if payment.refunded_amount > before:
        event_record(portal=payment.portal_id, type="payment.refunded", obj=payment)


def _settled_status(payment: Payment) -> str:
    if payment.status not in REFUNDABLE_STATUSES | {
        Payment.Status.REFUNDED,
        Payment.Status.DISPUTED,
    }:
        return payment.status  # processing or failed: refunds don't apply
    if payment.dispute_id and (
        payment.dispute_status not in DISPUTE_CLOSED_STATUSES or payment.dispute_status == "lost"
    ):
        return Payment.Status.DISPUTED
    if payment.refunded_amount >= payment.amount:
        return Payment.Status.REFUNDED
    if payment.refunded_amount > 0:
        return Payment.Status.PARTIALLY_REFUNDED
    return Payment.Status.SUCCEEDED


def payment_apply_dispute(*, payment: Payment, dispute: dict) -> Payment:
    """Mirrors `dispute` (as re-fetched from Stripe) on its payment: Disputed while it is
    open or lost, back to its refund status when won.

    Locks the payment row. Records `payment.disputed` the first time this dispute is
    seen, and e-mails the portal's admins (after commit) the first time it is seen open,
    so a duplicate or late event never records or mails twice.
    """
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        first_seen = payment.dispute_id != dispute["id"]
        status = str(dispute.get("status") or "")
        payment.dispute_id = dispute["id"]
        payment.dispute_status = status
        payment.dispute_reason = str(dispute.get("reason") or "")[:60]
        payment.dispute_amount = int(dispute.get("amount") or 0) or None
        due_by = (dispute.get("evidence_details") or {}).get("due_by")
        payment.dispute_due_by = datetime.fromtimestamp(int(due_by), tz=UTC) if due_by else None
        if first_seen or payment.disputed_at is None:
            payment.disputed_at = datetime.fromtimestamp(int(dispute.get("created") or 0), tz=UTC)
        if payment.status in REFUNDABLE_STATUSES | {
            Payment.Status.REFUNDED,
            Payment.Status.DISPUTED,
        }:
            payment.status = _settled_status(payment)
        payment.save()
        if first_seen:
            event_record(portal=payment.portal_id, type="payment.disputed", obj=payment)
        if first_seen and status not in DISPUTE_CLOSED_STATUSES:
            _notify_disputed(payment)
    return payment


def _notify_disputed(payment: Payment) -> None:
    contact = payment.contact
    notify_portal(
        portal=payment.portal,
        template="payment_disputed",
        context={
            "payment": payment,
            "amount": money.format_cents(
                payment.dispute_amount or payment.amount, payment.currency
            ),
            "buyer": (contact.full_name or contact.email) if contact else "",
            "reason": payment.dispute_reason.replace("_", " "),
            "due_by": payment.dispute_due_by,
            "url": settings.SITE_URL + reverse("payments:detail", args=[payment.pk]),
        },
    )


def _id_of(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")
