"""The Stripe seam's promises that the features lean on: writes always carry an
idempotency key, 5xx and 429 are retried with the same key, secret keys never reach a
log or a page, one Stripe account belongs to one portal; and the super admin's tools
(Action required → a fresh onboarding link, Retry on a failed webhook event)."""

from __future__ import annotations

import logging

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from payments import stripe as stripe_api
from payments.connect import services as accounts
from payments.connect.status import AccountStatus
from payments.models import StripeAccount, StripeEvent
from payments.stripe.core import _write
from tests.payments.support import start_onboarding, stripe_accounts


def test_a_write_without_an_idempotency_key_never_reaches_stripe(stripe_hub, db):
    stripe_hub.reset_stats()
    for key in ("", "   "):
        with pytest.raises(ValueError, match="needs an idempotency key"):
            _write(
                "customers.create",
                lambda c, o: c.v1.customers.create({"email": "a@b.test"}, o),
                idempotency_key=key,
            )
    assert stripe_hub.stats()["total"] == 0


def test_server_errors_are_retried_with_the_same_key_until_they_succeed(
    stripe_hub, portal, super_admin, db
):
    stripe_hub.inject_failure("/v1/accounts", "server_error", count=2)
    stripe_hub.inject_failure("/v1/account_links", "lock_timeout", count=1)
    start_onboarding(portal, super_admin)
    # two 500s and a lock timeout later: one account, one link, nothing twice
    assert len(stripe_accounts(stripe_hub)) == 1
    assert StripeAccount.objects.get(portal=portal).stripe_id == stripe_accounts(stripe_hub)[0].id
    assert stripe_hub.stats()["calls"]["POST /v1/accounts"] == 3


def test_secret_keys_never_reach_logs_or_pages(
    stripe_hub, portal, super_admin, admin_client_, settings, caplog
):
    settings.STRIPE_MAX_RETRIES = 1
    secret = settings.STRIPE_SECRET_KEY
    assert secret.startswith("sk_test_")
    caplog.set_level(logging.DEBUG)
    stripe_hub.inject_failure("/v1/accounts", "server_error", count=5)
    response = admin_client_.post(
        reverse("payments:connect"), {"confirm_us": "on", "accept_terms": "on"}, follow=True
    )
    stripe_hub.clear_failures()
    start_onboarding(portal, super_admin)  # and a successful call, logged at debug level
    assert caplog.records, "the seam logs its calls"
    assert secret not in caplog.text
    assert "sk_test" not in response.content.decode()
    assert "not answering" in response.content.decode()


def test_a_stripe_account_belongs_to_one_portal_and_a_portal_has_one_account(
    db, portal, other_portal
):
    StripeAccount.objects.create(portal=portal, stripe_id="acct_one", status=AccountStatus.READY)
    with pytest.raises(IntegrityError), transaction.atomic():
        StripeAccount.objects.create(portal=other_portal, stripe_id="acct_one")
    with pytest.raises(IntegrityError), transaction.atomic():
        StripeAccount.objects.create(portal=portal, stripe_id="acct_two")


def test_action_required_sends_the_admin_through_a_fresh_onboarding_link(
    stripe_hub, portal, super_admin, admin_client_
):
    start_onboarding(portal, super_admin)
    account = StripeAccount.objects.get(portal=portal)
    stripe_hub.verify_account(account.stripe_id)
    stripe_hub.require_information(account.stripe_id)
    accounts.account_refresh(account=account)
    page = admin_client_.get(reverse("payments:settings")).content.decode()
    assert "Action required" in page and "Provide information to Stripe" in page
    links_before = stripe_hub.stats()["calls"].get("POST /v1/account_links", 0)
    response = admin_client_.post(reverse("payments:onboarding_continue"))
    assert response.status_code == 302
    assert response["Location"].startswith(stripe_hub.url)
    assert stripe_hub.stats()["calls"]["POST /v1/account_links"] == links_before + 1


def test_retry_on_a_failed_event_processes_it(
    stripe_hub, portal, super_admin, admin_client_, django_capture_on_commit_callbacks
):
    start_onboarding(portal, super_admin)
    account = StripeAccount.objects.get(portal=portal)
    stripe_hub.verify_account(account.stripe_id)
    event = StripeEvent.objects.create(
        stripe_id="evt_failed_once",
        portal=portal,
        type="account.updated",
        account=account.stripe_id,
        created=timezone.now(),
        payload={"data": {"object": {"id": account.stripe_id, "object": "account"}}},
        attempts=1,
        last_error="StripeUnavailable: Stripe unavailable (500)",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(reverse("payments:event_retry", args=[event.pk]))
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.processed_at is not None and event.last_error == ""
    assert StripeAccount.objects.get(pk=account.pk).status == AccountStatus.READY
    assert stripe_api.account_retrieve(account.stripe_id)["charges_enabled"] is True


@pytest.fixture
def proxy_server():
    """An HTTP proxy that records the request lines it gets and answers 502."""
    from tests.recorder import Receiver

    proxy = Receiver()
    proxy.statuses = [502] * 5
    yield proxy.base, proxy.request_lines
    proxy.close()


@pytest.mark.parametrize("bypassed", [False, True])
def test_the_seam_honours_the_proxy_settings_it_read_at_start(
    stripe_hub, db, monkeypatch, settings, proxy_server, bypassed
):
    from payments.stripe import core

    proxy_url, seen = proxy_server
    settings.STRIPE_MAX_RETRIES = 0
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1" if bypassed else "")
    monkeypatch.setattr(core, "_http_client", None)
    core._shared_http_client()  # a process starting with this environment
    monkeypatch.delenv("HTTP_PROXY")  # read once: a later change does not count
    stripe_hub.reset_stats()
    if bypassed:
        with pytest.raises(stripe_api.AccountInvalid):  # fakestripe's answer
            stripe_api.account_retrieve("acct_missing")
        assert seen == [] and stripe_hub.stats()["total"] == 1
    else:
        with pytest.raises(stripe_api.StripeUnavailable):
            stripe_api.account_retrieve("acct_missing")
        assert seen and seen[0].startswith(f"GET {stripe_hub.url}/v1/accounts/acct_missing")
        assert stripe_hub.stats()["total"] == 0
