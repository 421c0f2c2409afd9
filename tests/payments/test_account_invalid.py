"""Any call answered 403 account_invalid marks the portal Disconnected (STRIPE.md), even
when the caller's transaction rolls back afterwards: the seam only raises, and the
disconnection is enqueued at once (payments.tasks), not on commit."""

from __future__ import annotations

import pytest
from celery.app.task import Task
from django.db import transaction

from payments import stripe as stripe_api
from payments.connect.status import AccountStatus
from payments.models import StripeAccount, StripeEvent
from payments.webhooks import services as webhooks
from tests.payments.support import fakestripe_account, paid_payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(monkeypatch):
    """Tasks go to a queue, as to a broker, instead of running at once in the caller's
    transaction (the eager mode of the other tests); calling the fixture's value is the
    worker taking them, after the caller is done."""
    queue: list[tuple[Task, tuple, dict]] = []

    def send(task, args=None, kwargs=None, **options):
        queue.append((task, tuple(args or ()), dict(kwargs or {})))

    monkeypatch.setattr(Task, "apply_async", send)

    def run() -> None:
        while queue:
            task, args, kwargs = queue.pop(0)
            task.apply(args=args, kwargs=kwargs, throw=True)

    return run


def deauthorized_account(stripe_hub, portal) -> StripeAccount:
    """A Ready account whose owner has since disconnected it from the platform in
    Stripe: every call on it is answered 403 account_invalid."""
    account = fakestripe_account(stripe_hub, portal)
    assert account.status == AccountStatus.READY
    stripe_hub.deauthorize(account.stripe_id)
    return account


def test_account_invalid_inside_a_transaction_that_rolls_back_still_disconnects_the_portal(
    stripe_hub, portal, worker
):
    account = deauthorized_account(stripe_hub, portal)

    # When a call inside a transaction is answered account_invalid and the transaction
    # then rolls back (whatever its caller did next failed)
    with pytest.raises(RuntimeError), transaction.atomic():
        with pytest.raises(stripe_api.AccountInvalid) as caught:
            stripe_api.account_retrieve(account.stripe_id)
        raise RuntimeError("the caller fails after the Stripe call")
    worker()

    # Then the portal is Disconnected all the same
    account.refresh_from_db()
    assert account.status == AccountStatus.DISCONNECTED
    assert account.revoked and account.disconnected_at is not None
    assert account.disconnect_reason == "Stripe answered account_invalid"
    # and the seam said which account it was, and wrote nothing itself
    assert caught.value.account == account.stripe_id


def test_a_webhook_handler_failing_on_account_invalid_still_disconnects_the_portal(
    stripe_hub, portal, worker
):
    # Given a disputed payment on an account that is then deauthorized
    account = fakestripe_account(stripe_hub, portal)
    payment = paid_payment(stripe_hub, account)
    dispute = stripe_hub.dispute(payment.charge_id)
    stripe_hub.deauthorize(account.stripe_id)
    event_id, _ = webhooks.event_store(
        data={
            "id": "evt_dispute_after_deauthorization",
            "object": "event",
            "type": "charge.dispute.created",
            "account": account.stripe_id,
            "livemode": False,
            "created": stripe_hub.now(),
            "data": {"object": dispute},
        },
        source=StripeEvent.Source.WEBHOOK,
    )
    assert event_id is not None

    # When its handler re-fetches the dispute, is answered account_invalid and fails (its
    # savepoint rolls back), and the worker then takes what was enqueued
    assert webhooks.event_process(event_id=event_id) == "failed"
    worker()

    # Then the event waits for a retry, and the portal is Disconnected
    event = StripeEvent.objects.get(pk=event_id)
    assert event.processed_at is None and "AccountInvalid" in event.last_error
    account.refresh_from_db()
    assert account.status == AccountStatus.DISCONNECTED and account.revoked
