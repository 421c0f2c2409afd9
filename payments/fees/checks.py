"""Fee sync health and repair: payments still waiting for their fee, payments whose
stored amounts disagree with Stripe's, the health panel, Sync now, and Repair (re-fetching
a payment's charge, refunds and dispute from Stripe). The sync itself is payments/fees.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from payments import stripe as stripe_api
from payments.connect.services import account_for_portal
from payments.fees import services as fees
from payments.models import FeeSyncState, Payment, Refund, StripeAccount
from payments.tasks import sync_fees_for_account


class FeeSyncError(Exception):
    pass


def payments_waiting_for_fees(*, portal) -> QuerySet[Payment]:
    """Paid payments whose charge has no synced balance transaction yet."""
    return (
        Payment.objects.for_portal(portal)  # type: ignore[attr-defined]
        .filter(status__in=fees.PAID_STATUSES, fee__isnull=True)
        .exclude(charge_id="")
    )


def payments_with_mismatch(*, portal) -> QuerySet[Payment]:
    """Synced payments whose stored gross or refunded total disagrees with what Stripe's
    balance transactions say (charge_gross, stripe_refunded), or whose net does not
    add up from its parts. Computed in the database."""
    # A refund just made has no balance transaction yet: until the next sync sees it,
    # the refunded totals differ without anything being wrong.
    refund_in_flight = Refund.objects.filter(
        payment=OuterRef("pk"), balance_amount__isnull=True
    ).exclude(status__in=[Refund.Status.FAILED, Refund.Status.CANCELED])
    return (
        Payment.objects.for_portal(portal)  # type: ignore[attr-defined]
        .filter(charge_gross__isnull=False)
        .filter(
            ~Q(amount=F("charge_gross"))
            | (~Q(refunded_amount=F("stripe_refunded")) & ~Exists(refund_in_flight))
            | Q(net__isnull=True)
            | Q(fee__isnull=True)
        )
    )


def fees_repair_payment(*, payment: Payment) -> Payment:
    """Re-fetches the charge (with its balance transaction), its refunds and its dispute
    from Stripe, takes Stripe's gross and refunded total, and re-applies the balance
    transactions. Stripe is the source of truth for these amounts."""
    if not payment.charge_id:
        raise FeeSyncError("This payment has no charge in Stripe.")
    account = StripeAccount.objects.filter(
        portal_id=payment.portal_id, stripe_id=payment.stripe_account_id
    ).first()
    if account is None:
        raise FeeSyncError("This payment's Stripe account is not connected to the portal.")
    fees.take_request()
    charge = stripe_api.charge_retrieve_with_balance(
        account=account.stripe_id, charge_id=payment.charge_id
    )
    transactions: list[dict] = []
    if isinstance(charge.get("balance_transaction"), dict):
        transactions.append(charge["balance_transaction"])
    fees.take_request()
    for refund in stripe_api.refunds_with_balance(
        account=account.stripe_id, charge_id=payment.charge_id
    ):
        if isinstance(refund.get("balance_transaction"), dict):
            transactions.append(refund["balance_transaction"])
    if payment.dispute_id:
        fees.take_request()
        dispute = stripe_api.dispute_retrieve(
            account=account.stripe_id, dispute_id=payment.dispute_id
        )
        transactions.extend(
            bt for bt in dispute.get("balance_transactions") or [] if isinstance(bt, dict)
        )
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        gross = charge.get("amount_captured") or charge.get("amount") or locked.amount
        updates = {"amount": gross, "refunded_amount": charge.get("amount_refunded", 0)}
        if fees.assign_changes(locked, updates):
            locked.save(update_fields=["amount", "refunded_amount", "updated_at"])
        # Force the derived fields to be rewritten from Stripe's figures.
        Payment.objects.filter(pk=locked.pk).update(fee=None, net=None)
        fees.apply_balance_transactions(account=account, transactions=transactions)
    payment.refresh_from_db()
    return payment


def fees_repair_portal(*, portal, limit: int = 50) -> int:
    """Repairs the portal's mismatched payments and those still waiting for fees."""
    ids = list(payments_with_mismatch(portal=portal).values_list("pk", flat=True)[:limit])
    ids += list(
        payments_waiting_for_fees(portal=portal)
        .exclude(pk__in=ids)
        .values_list("pk", flat=True)[: max(0, limit - len(ids))]
    )
    repaired = 0
    for payment in Payment.objects.filter(pk__in=ids):
        fees_repair_payment(payment=payment)
        repaired += 1
    return repaired


@dataclass
class FeeHealth:
    account: StripeAccount | None
    state: FeeSyncState | None
    waiting: int
    mismatched: int
    mismatches: list[Payment]


def fee_health(*, portal, sample: int = 10) -> FeeHealth:
    """The sync health panel: last success, payments waiting for fees, mismatches.
    Four queries whatever the number of payments."""
    account = account_for_portal(portal)
    state = FeeSyncState.objects.filter(account=account).first() if account else None
    mismatched = payments_with_mismatch(portal=portal)
    return FeeHealth(
        account=account,
        state=state,
        waiting=payments_waiting_for_fees(portal=portal).count(),
        mismatched=mismatched.count(),
        mismatches=list(mismatched.order_by("-created_at")[:sample]),
    )


def fees_request_sync(*, portal) -> StripeAccount | None:
    """Enqueues a fee sync of the portal's account after commit (Sync now)."""
    account = account_for_portal(portal)
    if account is None or account.revoked:
        return None
    transaction.on_commit(lambda: sync_fees_for_account.delay(account.pk))
    return account
