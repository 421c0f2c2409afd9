"""Only super admins change the Stripe connection; everyone else reads the status."""

import pytest
from django.urls import reverse

from payments.connect.status import AccountStatus
from payments.models import StripeAccount, StripeEvent
from tests.factories import StripeAccountFactory

CONNECT_POST = {"confirm_us": "on", "accept_terms": "on"}


@pytest.fixture
def ready_account(portal):
    """The portal's Ready account as a row only: these tests never reach Stripe (the
    conftest's `ready_account` onboards one in fakestripe)."""
    return StripeAccountFactory(portal=portal, stripe_id="acct_ready_1")


@pytest.mark.parametrize("client_name", ["rep_client", "billing_client"])
@pytest.mark.parametrize(
    "url_name", ["payments:connect", "payments:disconnect", "payments:onboarding_continue"]
)
def test_non_super_admins_cannot_change_the_connection(
    request, client_name, url_name, ready_account
):
    client = request.getfixturevalue(client_name)
    response = client.post(reverse(url_name), CONNECT_POST)
    assert response.status_code == 403
    ready_account.refresh_from_db()
    assert ready_account.disconnected_at is None
    assert StripeAccount.objects.count() == 1


@pytest.mark.parametrize("client_name", ["rep_client", "billing_client", "admin_client_"])
def test_everyone_in_the_portal_sees_the_status_label(request, client_name, ready_account):
    response = request.getfixturevalue(client_name).get(reverse("payments:settings"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ready to transact" in body
    can_change = client_name == "admin_client_"
    assert ("Disconnect Stripe" in body) is can_change


def test_not_connected_portal_shows_connect_button_to_super_admin_only(admin_client_, rep_client):
    assert "Connect Stripe" in admin_client_.get(reverse("payments:settings")).content.decode()
    rep_body = rep_client.get(reverse("payments:settings")).content.decode()
    assert "Not connected" in rep_body
    assert "Only a super admin of this portal can connect Stripe" in rep_body


def test_other_portal_sees_nothing_of_this_portals_account(other_client, ready_account):
    body = other_client.get(reverse("payments:settings")).content.decode()
    assert "acct_ready_1" not in body
    assert "Not connected" in body


def test_connect_form_requires_both_confirmations_and_changes_nothing(admin_client_):
    response = admin_client_.post(reverse("payments:connect"), {"confirm_us": "on"})
    assert response.status_code == 400
    assert "Accept the payment processing terms" in response.content.decode()
    assert not StripeAccount.objects.exists()


def test_non_us_portal_is_refused_with_an_explanation(admin_client_, portal):
    portal.country = "CA"
    portal.save()
    response = admin_client_.post(reverse("payments:connect"), CONNECT_POST, follow=True)
    assert "United States only" in response.content.decode()
    assert not StripeAccount.objects.exists()


def test_disconnect_is_recorded_and_keeps_the_account_row(
    admin_client_, super_admin, ready_account
):
    response = admin_client_.post(reverse("payments:disconnect"), follow=True)
    assert "Stripe is disconnected" in response.content.decode()
    ready_account.refresh_from_db()
    assert ready_account.disconnected_at is not None
    assert ready_account.disconnected_by == super_admin
    assert ready_account.status == AccountStatus.DISCONNECTED
    assert "Disconnected" in admin_client_.get(reverse("payments:settings")).content.decode()


def test_webhook_events_page_is_for_super_admins_and_scoped_to_the_portal(
    admin_client_, rep_client, ready_account, other_portal
):
    from django.utils import timezone

    mine = StripeEvent.objects.create(
        stripe_id="evt_mine",
        type="account.updated",
        account="acct_ready_1",
        created=timezone.now(),
        payload={},
        last_error="StripeUnavailable: boom",
        attempts=1,
    )
    StripeAccountFactory(portal=other_portal, stripe_id="acct_other")
    theirs = StripeEvent.objects.create(
        stripe_id="evt_theirs",
        type="account.updated",
        account="acct_other",
        created=timezone.now(),
        payload={},
    )
    assert rep_client.get(reverse("payments:events")).status_code == 403
    body = admin_client_.get(reverse("payments:events")).content.decode()
    assert "evt_mine" in body and "StripeUnavailable: boom" in body
    assert "evt_theirs" not in body
    # another portal's event id is a 404, never a retry
    assert admin_client_.post(reverse("payments:event_retry", args=[theirs.pk])).status_code == 404
    assert (
        admin_client_.get(reverse("payments:events") + "?state=failed")
        .context["page_obj"]
        .object_list[0]
        == mine
    )
