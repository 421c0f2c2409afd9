"""Dunning: failed charges, retries on the portal's schedule, and the end of it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
import time_machine
from django.core import mail

from subscriptions import dunning, tasks
from subscriptions.models import BillingAttempt, BillingCycle, Subscription, SubscriptionSettings

from .support import make_subscription, saved_card, succeeded_intents

pytestmark = pytest.mark.django_db

DUE = datetime(2026, 2, 15, 12, tzinfo=UTC)


@pytest.fixture
def failing(stripe_hub, ready_account, portal):
    customer, pm = saved_card(stripe_hub, ready_account.stripe_id, "pm_card_chargeCustomerFail")
    return make_subscription(
        portal,
        account=ready_account.stripe_id,
        customer=customer,
        payment_method=pm,
        start=date(2026, 1, 15),
    )


def run_at(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        tasks.billing_run.delay()


def test_default_schedule_is_eight_retries_over_fourteen_days():
    offsets = dunning.retry_offsets(attempts=8, window_days=14)
    assert len(offsets) == 8
    assert offsets[-1] == timedelta(days=14)
    assert all(a < b for a, b in pairwise(offsets))


def test_failed_charge_moves_to_past_due_and_schedules_retry(
    failing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run_at(DUE)
    failing.refresh_from_db()
    assert failing.status == Subscription.Status.PAST_DUE
    assert failing.retry_at == DUE + dunning.retry_offsets(attempts=8, window_days=14)[0]
    attempt = BillingAttempt.objects.get()
    assert attempt.status == BillingAttempt.Status.FAILED
    assert attempt.decline_code and attempt.payment_intent_id
    assert BillingCycle.objects.get().status == BillingCycle.Status.RETRYING
    assert mail.outbox[0].to == [failing.contact.email]
    assert "/subscriptions/card/" in mail.outbox[0].body
    # Not retried before its time.
    run_at(DUE + timedelta(hours=1))
    assert BillingAttempt.objects.count() == 1


def test_card_that_recovers_on_third_retry_is_charged_once(stripe_hub, failing, ready_account):
    moment = DUE
    run_at(moment)
    for _ in range(2):
        failing.refresh_from_db()
        run_at(failing.retry_at)
    assert BillingAttempt.objects.filter(status="failed").count() == 3
    # The buyer saves a working card before the third retry.
    new_customer, new_pm = saved_card(stripe_hub, ready_account.stripe_id)
    Subscription.objects.filter(pk=failing.pk).update(
        stripe_customer_id=new_customer, payment_method_id=new_pm
    )
    failing.refresh_from_db()
    run_at(failing.retry_at)
    failing.refresh_from_db()
    assert failing.status == Subscription.Status.ACTIVE
    assert failing.periods_billed == 2 and failing.retry_at is None
    attempts = list(BillingAttempt.objects.order_by("number").values_list("number", "status"))
    assert attempts == [(1, "failed"), (2, "failed"), (3, "failed"), (4, "succeeded")]
    assert len(succeeded_intents(stripe_hub, ready_account.stripe_id)) == 1


def test_card_that_never_recovers_ends_cancelled_and_portal_is_told(
    failing, super_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run_at(DUE)
        for _ in range(8):
            failing.refresh_from_db()
            run_at(failing.retry_at)
    failing.refresh_from_db()
    assert failing.status == Subscription.Status.CANCELLED
    assert failing.next_billing_date is None and failing.retry_at is None
    assert BillingAttempt.objects.filter(status="failed").count() == 9
    assert BillingCycle.objects.get().status == BillingCycle.Status.FAILED
    assert any(super_admin.email in m.to for m in mail.outbox)


def test_portal_may_leave_it_unpaid_instead(failing, portal):
    SubscriptionSettings.objects.create(
        portal=portal,
        retry_attempts=2,
        retry_window_days=3,
        after_last_failure=SubscriptionSettings.AfterLastFailure.UNPAID,
    )
    run_at(DUE)
    for _ in range(2):
        failing.refresh_from_db()
        run_at(failing.retry_at)
    failing.refresh_from_db()
    assert failing.status == Subscription.Status.PAST_DUE
    assert failing.retry_at is None
    run_at(DUE + timedelta(days=30))
    assert BillingAttempt.objects.count() == 3


def test_card_update_token_expires(failing, settings):
    token = dunning.card_update_token(failing)
    assert dunning.card_update_subscription_id(token) == failing.pk
    assert dunning.card_update_subscription_id(token + "x") is None
    settings.SUBSCRIPTION_CARD_LINK_MAX_AGE = -1
    assert dunning.card_update_subscription_id(token) is None


def test_past_due_banner_timeline_and_email_name_the_same_retry_day(
    failing, portal, rep_client, django_capture_on_commit_callbacks
):
    # Given a portal on the US west coast, whose charge fails at 8 PM UTC: the first
    # retry (9h20 later) falls at 5:20 AM UTC on Feb 16, still Feb 15 in Los Angeles
    portal.time_zone = "America/Los_Angeles"
    portal.save(update_fields=["time_zone"])
    with django_capture_on_commit_callbacks(execute=True):
        run_at(datetime(2026, 2, 15, 20, tzinfo=UTC))

    # When the subscription's page is shown
    html = rep_client.get(f"/subscriptions/{failing.pk}/").content.decode()

    # Then the banner and the timeline name the portal's day
    banner = re.search(r"Next retry on (\w{3} \d{1,2}, \d{4})", html)
    timeline = re.search(r"retry 1 of \d+ on (\w{3} \d{1,2}, \d{4})", html)
    assert banner and timeline
    assert banner.group(1) == timeline.group(1) == "Feb 15, 2026"
    # ...and so does the buyer's e-mail, rendered by a task with no time zone active
    assert "We will try again on Feb 15, 2026." in mail.outbox[0].body
