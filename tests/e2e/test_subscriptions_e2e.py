"""In the browser: a past-due buyer saves a new card on the hosted page (Stripe.js
stand-in, SetupIntent) and the overdue period is paid at once."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine

from subscriptions import dunning, tasks
from subscriptions.models import Subscription
from tests.e2e.support import CARD_FRAME
from tests.subscriptions.support import make_subscription, saved_card


def test_buyer_updates_card_and_overdue_period_is_paid(
    transactional_db, live_server, stripe_hub, ready_account, portal, page, settings
):
    settings.SITE_URL = live_server.url
    customer, pm = saved_card(stripe_hub, ready_account.stripe_id, "pm_card_chargeCustomerFail")
    subscription = make_subscription(
        portal,
        account=ready_account.stripe_id,
        customer=customer,
        payment_method=pm,
        start=date(2026, 1, 15),
    )
    with time_machine.travel(datetime(2026, 2, 15, 12, tzinfo=UTC), tick=False):
        tasks.billing_run.delay()
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.PAST_DUE

    page.goto(dunning.card_update_url(subscription))
    assert page.get_by_text("A payment of $50.00 is overdue").is_visible()
    card = page.frame_locator(CARD_FRAME)
    card.locator("#cardnumber").fill("4242 4242 4242 4242")
    card.locator("#exp-date").fill("12 / 34")
    card.locator("#cvc").fill("123")
    card.locator("#postal").fill("10001")
    page.get_by_role("button", name="Save card and pay $50.00").click()

    page.get_by_text("you're all set").wait_for()
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE
    assert subscription.periods_billed == 2
