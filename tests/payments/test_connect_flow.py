"""Connect onboarding against fakestripe, through the real SDK over HTTP."""

import time
from datetime import timedelta

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from payments import stripe as stripe_api
from payments.connect import services as accounts
from payments.connect.status import AccountStatus
from payments.models import StripeAccount, StripeEvent
from payments.tasks import reconcile_stripe_events, refresh_pending_accounts, sweep_stripe_events
from payments.webhooks import services as webhooks
from tests.payments.signing import event_body, signature_header
from tests.payments.support import REFRESH, RETURN, start_onboarding, stripe_accounts


def test_get_started_creates_one_account_records_terms_and_links_to_onboarding(
    stripe_hub, portal, super_admin, db
):
    url = start_onboarding(portal, super_admin)
    account = StripeAccount.objects.get(portal=portal)
    assert account.stripe_id.startswith("acct_")
    assert account.status == AccountStatus.ONBOARDING_INCOMPLETE
    assert account.terms_accepted_by == super_admin
    assert account.terms_accepted_ip == "203.0.113.9"
    assert account.terms_accepted_at is not None
    assert url.startswith(stripe_hub.url + "/connect/onboarding/")
    # a second click reuses the stored account
    start_onboarding(portal, super_admin)
    assert StripeAccount.objects.filter(portal=portal).count() == 1
    assert len(stripe_accounts(stripe_hub)) == 1


def test_onboarding_link_is_single_use_and_refresh_url_makes_a_new_one(
    stripe_hub, portal, super_admin, db
):
    url = start_onboarding(portal, super_admin)
    first = requests.get(url, allow_redirects=False, timeout=10)
    assert first.status_code == 200
    assert "Submit and verify now" in first.text
    reused = requests.get(url, allow_redirects=False, timeout=10)
    assert reused.status_code in (302, 303)
    assert reused.headers["Location"] == REFRESH
    account = StripeAccount.objects.get(portal=portal)
    fresh = accounts.onboarding_link(account=account, return_url=RETURN, refresh_url=REFRESH)
    assert fresh != url
    assert requests.get(fresh, allow_redirects=False, timeout=10).status_code == 200


def test_expired_link_sends_to_refresh_url(stripe_hub, portal, super_admin, db):
    url = start_onboarding(portal, super_admin)
    stripe_hub.advance_clock(301)  # links live 300 s
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.headers["Location"] == REFRESH


def test_pending_then_verified_by_webhook_becomes_ready(
    hub_webhooks, stripe_hub, portal, super_admin, transactional_db
):
    start_onboarding(portal, super_admin)
    account = StripeAccount.objects.get(portal=portal)
    stripe_hub.submit_pending(account.stripe_id)
    stripe_hub.flush_webhooks()
    account.refresh_from_db()
    assert account.status == AccountStatus.PENDING_VERIFICATION
    assert not accounts.portal_can_accept_payments(portal)

    stripe_hub.verify_account(account.stripe_id)
    stripe_hub.flush_webhooks()
    account.refresh_from_db()
    assert account.status == AccountStatus.READY
    assert accounts.portal_can_accept_payments(portal)
    processed = StripeEvent.objects.filter(type="account.updated", processed_at__isnull=False)
    assert processed.exists()
    assert processed.first().portal == portal


def test_information_due_with_deadline_is_action_required(stripe_hub, portal, super_admin, db):
    start_onboarding(portal, super_admin)
    account = StripeAccount.objects.get(portal=portal)
    stripe_hub.verify_account(account.stripe_id)
    stripe_hub.require_information(account.stripe_id, due="past_due", fields=["external_account"])
    account = accounts.account_refresh(account=account)
    assert account.status == AccountStatus.ACTION_REQUIRED


def test_rejected_account_is_restricted(stripe_hub, portal, super_admin, db):
    start_onboarding(portal, super_admin)
    account = StripeAccount.objects.get(portal=portal)
    stripe_hub.verify_account(account.stripe_id)
    stripe_hub.reject_account(account.stripe_id, reason="rejected.fraud")
    assert accounts.account_refresh(account=account).status == AccountStatus.RESTRICTED


def test_deauthorization_webhook_disconnects_the_portal(
    hub_webhooks, stripe_hub, portal, super_admin, transactional_db
):
    start_onboarding(portal, super_admin)
    account = StripeAccount.objects.get(portal=portal)
    stripe_hub.verify_account(account.stripe_id)
    stripe_hub.deauthorize(account.stripe_id)
    stripe_hub.flush_webhooks()
    account.refresh_from_db()
    assert account.status == AccountStatus.DISCONNECTED
    assert account.revoked
    assert "Deauthorized" in account.disconnect_reason
    assert not accounts.portal_can_accept_payments(portal)
    # connecting again creates a new account: the old one is no longer ours
    start_onboarding(portal, super_admin)
    assert StripeAccount.objects.filter(portal=portal).count() == 2


def test_any_account_invalid_answer_marks_the_portal_disconnected(stripe_hub, portal, db):
    account = StripeAccount.objects.create(
        portal=portal, stripe_id="acct_doesnotexist", status=AccountStatus.READY
    )
    refreshed = accounts.account_refresh(account=account)
    assert refreshed.status == AccountStatus.DISCONNECTED
    assert refreshed.revoked


def test_rate_limits_and_lost_responses_are_retried_with_the_same_key(
    stripe_hub, portal, super_admin, db
):
    stripe_hub.inject_failure("/v1/accounts", "rate_limit", count=2)
    stripe_hub.inject_failure("/v1/accounts", "drop", when="after", count=1)
    stripe_hub.reset_stats()
    start_onboarding(portal, super_admin)
    # three failed tries, one success, and exactly one account at Stripe
    assert len(stripe_accounts(stripe_hub)) == 1
    assert StripeAccount.objects.get(portal=portal).stripe_id == stripe_accounts(stripe_hub)[0].id


def test_persistent_outage_surfaces_a_safe_message(stripe_hub, portal, super_admin, settings, db):
    settings.STRIPE_MAX_RETRIES = 2
    stripe_hub.inject_failure("/v1/accounts", "server_error", count=10)
    with pytest.raises(stripe_api.StripeUnavailable) as caught:
        start_onboarding(portal, super_admin)
    assert "Nothing was charged" in caught.value.user_message
    assert "sk_test" not in str(caught.value) and "sk_test" not in caught.value.user_message
    assert not StripeAccount.objects.exists()


def test_older_event_after_newer_does_not_roll_status_back(
    stripe_hub, portal, super_admin, client, settings, db, django_capture_on_commit_callbacks
):
    settings.STRIPE_WEBHOOK_SECRETS = ["whsec_test_order"]
    start_onboarding(portal, super_admin)
    account = StripeAccount.objects.get(portal=portal)
    stripe_hub.verify_account(account.stripe_id)
    accounts.account_refresh(account=account)
    stale = {
        "id": account.stripe_id,
        "object": "account",
        "charges_enabled": False,
        "details_submitted": False,
    }
    body = event_body(
        "evt_stale_1",
        "account.updated",
        stale,
        account=account.stripe_id,
        created=int(time.time()) - 3600,
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("stripe_webhook"),
            body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature_header(body, "whsec_test_order"),
        )
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.status == AccountStatus.READY
    assert StripeEvent.objects.get(stripe_id="evt_stale_1").processed_at is not None


def test_failing_handler_is_retried_by_the_sweeper(
    stripe_hub, portal, super_admin, settings, db, time_machine, django_capture_on_commit_callbacks
):
    start_onboarding(portal, super_admin)
    account = StripeAccount.objects.get(portal=portal)
    stripe_hub.verify_account(account.stripe_id)
    settings.STRIPE_MAX_RETRIES = 0
    stripe_hub.inject_failure(
        f"/v1/accounts/{account.stripe_id}", "server_error", method="GET", count=1
    )
    data = {
        "id": "evt_flaky",
        "object": "event",
        "type": "account.updated",
        "account": account.stripe_id,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": {"id": account.stripe_id}},
    }
    with django_capture_on_commit_callbacks(execute=True):
        event_id, created = webhooks.event_store(data=data, source=StripeEvent.Source.WEBHOOK)
    assert created
    event = StripeEvent.objects.get(pk=event_id)
    assert event.processed_at is None
    assert event.attempts == 1
    assert "StripeUnavailable" in event.last_error
    assert sweep_stripe_events() == 0  # not due yet: backoff
    time_machine.move_to(timezone.now() + timedelta(seconds=120))
    assert sweep_stripe_events() == 1
    event.refresh_from_db()
    assert event.processed_at is not None
    assert event.last_error == ""
    account.refresh_from_db()
    assert account.status == AccountStatus.READY


def test_reconcile_recovers_events_that_were_never_delivered(
    stripe_hub, portal, super_admin, db, django_capture_on_commit_callbacks
):
    # no webhook endpoint is registered: nothing is delivered
    start_onboarding(portal, super_admin)
    account = StripeAccount.objects.get(portal=portal)
    stripe_hub.verify_account(account.stripe_id)
    assert not StripeEvent.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        recovered = reconcile_stripe_events()
    assert recovered >= 1
    event = StripeEvent.objects.filter(type="account.updated", account=account.stripe_id).first()
    assert event is not None and event.source == StripeEvent.Source.RECONCILE
    account.refresh_from_db()
    assert account.status == AccountStatus.READY
    # running it again finds nothing new
    with django_capture_on_commit_callbacks(execute=True):
        assert reconcile_stripe_events() == 0


def test_periodic_refresh_catches_up_accounts_that_are_not_ready(
    stripe_hub, portal, super_admin, db, time_machine
):
    start_onboarding(portal, super_admin)
    account = StripeAccount.objects.get(portal=portal)
    stripe_hub.verify_account(account.stripe_id)  # its webhook is lost: no endpoint
    time_machine.move_to(timezone.now() + timedelta(hours=1))
    assert refresh_pending_accounts() == 1
    account.refresh_from_db()
    assert account.status == AccountStatus.READY
    assert refresh_pending_accounts() == 0  # ready accounts cost nothing
