"""The subscriptions tool: list, detail, and confirmed changes by role."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from subscriptions.models import BillingAttempt, BillingCycle, Subscription
from tests.factories import ContactFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def _sub(portal, *, due_in_days: int = 20, **kw) -> Subscription:
    today = timezone.localdate()
    return SubscriptionFactory(
        portal=portal,
        start_date=today - timedelta(days=10),
        next_billing_date=today + timedelta(days=due_in_days),
        **kw,
    )


def test_list_filters_by_status_and_searches_contacts(rep_client, portal):
    ada = _sub(portal, contact=ContactFactory(portal=portal, email="ada@example.org"))
    _sub(portal, status=Subscription.Status.PAUSED)
    response = rep_client.get("/subscriptions/", {"q": "ada@"})
    assert list(response.context["page_obj"].object_list) == [ada]
    response = rep_client.get("/subscriptions/", {"status": "paused"})
    assert [s.status for s in response.context["page_obj"].object_list] == ["paused"]
    due = (timezone.localdate() + timedelta(days=20)).isoformat()
    response = rep_client.get("/subscriptions/", {"due_from": due, "due_to": due})
    assert len(response.context["page_obj"].object_list) == 2


def test_empty_list_explains_itself(rep_client, portal):
    assert "No subscriptions yet" in rep_client.get("/subscriptions/").content.decode()


def test_detail_shows_items_failed_attempts_with_decline_codes(rep_client, portal):
    subscription = _sub(portal, status=Subscription.Status.PAST_DUE)
    cycle = BillingCycle.objects.create(
        portal=portal,
        subscription=subscription,
        period=2,
        period_start=date(2026, 2, 1),
        amount=5000,
    )
    BillingAttempt.objects.create(
        portal=portal,
        cycle=cycle,
        number=1,
        idempotency_key="bill:x",
        status="failed",
        failure_code="card_declined",
        decline_code="insufficient_funds",
    )
    html = rep_client.get(f"/subscriptions/{subscription.pk}/").content.decode()
    assert "Growth plan" in html and "insufficient_funds" in html
    assert "Change" not in html.split("Items")[0] or "change-dialog" not in html


def test_rep_cannot_change(rep_client, portal):
    subscription = _sub(portal)
    response = rep_client.post(
        f"/subscriptions/{subscription.pk}/change/", {"action": "pause", "confirm": "on"}
    )
    assert response.status_code == 403
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE


def test_admin_pauses_and_resumes_with_timeline_and_email(
    admin_client_, portal, django_capture_on_commit_callbacks
):
    subscription = _sub(portal)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            f"/subscriptions/{subscription.pk}/change/", {"action": "pause", "confirm": "on"}
        )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.PAUSED
    assert mail.outbox[-1].to == [subscription.contact.email]
    new_date = (timezone.localdate() + timedelta(days=40)).isoformat()
    admin_client_.post(
        f"/subscriptions/{subscription.pk}/change/",
        {"action": "resume", "new_date": new_date, "confirm": "on"},
    )
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE
    assert subscription.next_billing_date.isoformat() == new_date
    assert subscription.events.filter(actor__isnull=False).count() == 2


def test_change_needs_confirmation(admin_client_, portal):
    subscription = _sub(portal)
    response = admin_client_.post(f"/subscriptions/{subscription.pk}/change/", {"action": "pause"})
    assert response.status_code == 400
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE


def test_changes_are_refused_within_two_days_of_a_charge(admin_client_, portal):
    subscription = _sub(portal, due_in_days=2)
    page = admin_client_.get(f"/subscriptions/{subscription.pk}/").content.decode()
    assert "Changes are closed 2 days before a charge" in page
    response = admin_client_.post(
        f"/subscriptions/{subscription.pk}/change/", {"action": "cancel_now", "confirm": "on"}
    )
    assert response.status_code == 400
    assert "Changes are closed" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE


def test_other_portals_subscription_is_404(admin_client_, other_portal):
    subscription = _sub(other_portal)
    assert admin_client_.get(f"/subscriptions/{subscription.pk}/").status_code == 404


def test_admin_changes_quantity_and_price_from_next_period(admin_client_, portal):
    subscription = _sub(portal)
    item = subscription.items.get()
    response = admin_client_.post(
        f"/subscriptions/{subscription.pk}/items/",
        {f"qty_{item.pk}": "3", f"price_{item.pk}": "40.00", "confirm": "1"},
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    item.refresh_from_db()
    assert (item.quantity, item.unit_amount, item.amount) == (3, 4000, 12000)
    assert subscription.amount == 12000
    assert subscription.events.filter(kind="items_changed").exists()


def test_removing_every_item_is_refused(admin_client_, portal):
    subscription = _sub(portal)
    item = subscription.items.get()
    response = admin_client_.post(
        f"/subscriptions/{subscription.pk}/items/",
        {f"qty_{item.pk}": "0", f"price_{item.pk}": "50.00", "confirm": "1"},
    )
    assert response.status_code == 400
    assert "Keep at least one item" in response.content.decode()
