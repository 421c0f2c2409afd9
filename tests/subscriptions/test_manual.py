"""A billing admin creates a subscription: the contact's saved card, or a link first."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from commerce.catalog.models import BillingFrequency
from subscriptions import tasks
from subscriptions.models import Subscription
from tests.factories import ContactFactory, ProductFactory

from .support import saved_card, succeeded_intents

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(portal):
    return ProductFactory(
        portal=portal,
        name="Support plan",
        unit_price=3000,
        billing_frequency=BillingFrequency.MONTHLY,
        term_periods=6,
    )


def _bill_on(day) -> None:
    with time_machine.travel(datetime(day.year, day.month, day.day, 12, tzinfo=UTC), tick=False):
        tasks.billing_run.delay()


def test_admin_creates_subscription_on_the_saved_card_and_run_charges_it(
    admin_client_, stripe_hub, ready_account, portal, plan
):
    customer, _ = saved_card(stripe_hub, ready_account.stripe_id)
    contact = ContactFactory(portal=portal, stripe_customer_id=customer)
    start = timezone.localdate() + timedelta(days=3)
    response = admin_client_.post(
        "/subscriptions/new/",
        {"contact": contact.pk, "product": plan.pk, "quantity": 2, "start_date": start},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    subscription = Subscription.objects.get(contact=contact)
    assert subscription.status == Subscription.Status.SCHEDULED
    assert subscription.amount == 6000 and subscription.payment_method_id

    _bill_on(start)

    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE
    assert subscription.periods_billed == 1
    assert [pi["amount"] for pi in succeeded_intents(stripe_hub, ready_account.stripe_id)] == [6000]


def test_contact_without_card_gets_a_link_and_is_charged_after_saving_one(
    admin_client_,
    client,
    stripe_hub,
    ready_account,
    portal,
    plan,
    django_capture_on_commit_callbacks,
):
    contact = ContactFactory(portal=portal, email="new@example.org")
    start = timezone.localdate() + timedelta(days=5)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            "/subscriptions/new/",
            {
                "contact": contact.pk,
                "product": plan.pk,
                "quantity": 1,
                "start_date": start,
                "send_card_link": "on",
            },
        )
    assert response.status_code == 302
    link = re.search(r"http\S+/subscriptions/card/\S+/", mail.outbox[-1].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path).content.decode()
    secret = re.search(r'data-client-secret="([^"]+)"', page).group(1)
    stripe_hub.client(stripe_account=ready_account.stripe_id).v1.setup_intents.confirm(
        secret.split("_secret_")[0], {"payment_method": "pm_card_visa"}
    )
    done = client.post("/" + path + "done/", {"setup_intent": secret.split("_secret_")[0]})
    assert done.url.endswith("?outcome=saved")

    _bill_on(start)

    subscription = Subscription.objects.get(contact=contact)
    assert subscription.periods_billed == 1 and subscription.status == "active"


def test_no_saved_card_without_link_is_refused_with_the_reason(
    admin_client_, stripe_hub, ready_account, portal, plan
):
    contact = ContactFactory(portal=portal)
    response = admin_client_.post(
        "/subscriptions/new/",
        {
            "contact": contact.pk,
            "product": plan.pk,
            "quantity": 1,
            "start_date": timezone.localdate(),
        },
    )
    assert response.status_code == 400
    assert "no card saved" in response.content.decode()
    assert not Subscription.objects.exists()


def test_rep_cannot_create(rep_client, portal):
    assert rep_client.get("/subscriptions/new/").status_code == 403
