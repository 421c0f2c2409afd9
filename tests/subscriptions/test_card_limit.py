"""The card limit ($999,999.99, what a card can pay at once) holds on subscriptions as on
every document: every period is charged to the buyer's card, so no subscription is set
up or changed to charge more per period; the admin is told why and nothing changes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.utils import timezone

from commerce.catalog.models import BillingFrequency
from subscriptions.models import Subscription, SubscriptionEvent
from tests.factories import ContactFactory, ProductFactory

from .support import make_subscription, saved_card

pytestmark = pytest.mark.django_db

LIMIT = "a card can pay at most $999,999.99 at once"


def test_a_subscription_above_the_card_limit_per_period_is_not_created(
    admin_client_, stripe_hub, ready_account, portal
):
    plan = ProductFactory(
        portal=portal,
        name="Fleet lease",
        unit_price=60_000_000,
        billing_frequency=BillingFrequency.MONTHLY,
    )
    customer, _ = saved_card(stripe_hub, ready_account.stripe_id)
    contact = ContactFactory(portal=portal, stripe_customer_id=customer)

    response = admin_client_.post(
        "/subscriptions/new/",
        {
            "contact": contact.pk,
            "product": plan.pk,
            "quantity": 2,
            "start_date": timezone.localdate(),
        },
    )

    assert response.status_code == 400
    assert f"The amount per period is $1,200,000.00: {LIMIT}." in response.content.decode()
    assert not Subscription.objects.exists()


def test_adding_an_item_above_the_card_limit_per_period_is_refused(
    admin_client_, stripe_hub, ready_account, portal
):
    customer, pm = saved_card(stripe_hub, ready_account.stripe_id)
    subscription = make_subscription(
        portal,
        account=ready_account.stripe_id,
        customer=customer,
        payment_method=pm,
        start=date(2026, 1, 15),
    )
    before = subscription.amount

    with time_machine.travel(datetime(2026, 2, 1, 12, tzinfo=UTC), tick=False):
        response = admin_client_.post(
            f"/subscriptions/{subscription.pk}/items/",
            {
                "intent": "add",
                "source": "custom",
                "name": "Fleet lease",
                "quantity": 2,
                "unit_price": "500000",
                "confirm": "on",
            },
        )

    assert response.status_code == 400
    assert LIMIT in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.amount == before and subscription.items.count() == 1
    assert not SubscriptionEvent.objects.filter(subscription=subscription).exists()
