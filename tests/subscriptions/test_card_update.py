"""The buyer's card-update page: a signed, expiring link; a SetupIntent; the overdue
period retried at once."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

import pytest
import time_machine

from subscriptions import dunning, tasks
from subscriptions.models import BillingAttempt, Subscription

from .support import make_subscription, saved_card, succeeded_intents

pytestmark = pytest.mark.django_db


@pytest.fixture
def past_due(stripe_hub, ready_account, portal) -> Subscription:
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
    return subscription


def _confirm_setup(stripe_hub, account: str, client_secret: str, pm: str = "pm_card_visa") -> str:
    """What Stripe.js's confirmSetup does in the buyer's browser."""
    setup_intent = client_secret.split("_secret_")[0]
    client = stripe_hub.client(stripe_account=account)
    return client.v1.setup_intents.confirm(setup_intent, {"payment_method": pm}).id


def test_new_card_saves_and_pays_the_overdue_period_at_once(client, stripe_hub, past_due):
    url = f"/subscriptions/card/{dunning.card_update_token(past_due)}/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "A payment of $50.00 is overdue" in html
    secret = re.search(r'data-client-secret="([^"]+)"', html).group(1)
    setup_intent = _confirm_setup(stripe_hub, past_due.stripe_account_id, secret)

    done = client.post(url + "done/", {"setup_intent": setup_intent})

    assert done.status_code == 302 and done.url.endswith("?outcome=paid")
    past_due.refresh_from_db()
    assert past_due.status == Subscription.Status.ACTIVE and past_due.periods_billed == 2
    assert past_due.payment_method_id != "pm_card_chargeCustomerFail"
    assert [a.status for a in BillingAttempt.objects.order_by("number")] == ["failed", "succeeded"]
    assert len(succeeded_intents(stripe_hub, past_due.stripe_account_id)) == 1
    assert "you're all set" in client.get(done.url).content.decode()


def test_forged_or_expired_link_is_a_page_not_an_error(client, past_due, settings):
    assert client.get("/subscriptions/card/forged/").status_code == 410
    token = dunning.card_update_token(past_due)
    settings.SUBSCRIPTION_CARD_LINK_MAX_AGE = -1
    response = client.get(f"/subscriptions/card/{token}/")
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert client.post(f"/subscriptions/card/{token}/done/", {}).status_code == 410


def test_setup_intent_of_someone_else_is_refused(client, stripe_hub, past_due):
    url = f"/subscriptions/card/{dunning.card_update_token(past_due)}/"
    response = client.post(url + "done/", {"setup_intent": "seti_unknown"})
    assert response.status_code == 200
    assert "try again" in response.content.decode().lower()
    past_due.refresh_from_db()
    assert past_due.status == Subscription.Status.PAST_DUE


def test_authentication_required_is_paid_on_session_from_the_link(
    client, stripe_hub, ready_account, portal, django_capture_on_commit_callbacks
):
    from django.core import mail

    customer, pm = saved_card(stripe_hub, ready_account.stripe_id, "pm_card_authenticationRequired")
    subscription = make_subscription(
        portal,
        account=ready_account.stripe_id,
        customer=customer,
        payment_method=pm,
        start=date(2026, 1, 15),
    )
    with (
        time_machine.travel(datetime(2026, 2, 15, 12, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        tasks.billing_run.delay()
    attempt = BillingAttempt.objects.get()
    assert attempt.status == BillingAttempt.Status.REQUIRES_ACTION
    assert "confirm your payment" in mail.outbox[0].subject.lower()

    url = f"/subscriptions/card/{dunning.card_update_token(subscription)}/"
    html = client.get(url).content.decode()
    assert 'data-mode="payment"' in html
    # What Stripe.js does on-session: confirm, then the buyer completes 3D Secure.
    connected = stripe_hub.client(stripe_account=ready_account.stripe_id)
    connected.v1.payment_intents.confirm(attempt.payment_intent_id, {"payment_method": pm})
    stripe_hub.authenticate(attempt.payment_intent_id, "complete")

    done = client.post(url + "done/", {"payment_intent": attempt.payment_intent_id})

    assert done.url.endswith("?outcome=paid")
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE and subscription.periods_billed == 2
    assert len(succeeded_intents(stripe_hub, ready_account.stripe_id)) == 1


def test_a_failed_bank_check_on_the_card_page_reads_as_buyer_text(
    client, stripe_hub, ready_account, portal
):
    from payments.stripe.buyer_messages import MESSAGES

    customer, pm = saved_card(stripe_hub, ready_account.stripe_id, "pm_card_authenticationRequired")
    subscription = make_subscription(
        portal,
        account=ready_account.stripe_id,
        customer=customer,
        payment_method=pm,
        start=date(2026, 1, 15),
    )
    with time_machine.travel(datetime(2026, 2, 15, 12, tzinfo=UTC), tick=False):
        tasks.billing_run.delay()
    attempt = BillingAttempt.objects.get()
    url = f"/subscriptions/card/{dunning.card_update_token(subscription)}/"
    page = client.get(url).content.decode()
    assert '<script id="buyer-messages" type="application/json">' in page  # for Stripe.js errors
    # The buyer confirms on-session and fails their bank's 3D Secure check
    connected = stripe_hub.client(stripe_account=ready_account.stripe_id)
    connected.v1.payment_intents.confirm(attempt.payment_intent_id, {"payment_method": pm})
    stripe_hub.authenticate(attempt.payment_intent_id, "fail")

    response = client.post(url + "done/", {"payment_intent": attempt.payment_intent_id})

    body = html.unescape(response.content.decode())
    assert MESSAGES["payment_intent_authentication_failure"] in body
    assert "PaymentMethod" not in body and "payment_method_data" not in body
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.PAST_DUE
