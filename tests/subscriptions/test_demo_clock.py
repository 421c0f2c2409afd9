"""`make dev`: a subscription bought through a payment link is billed again when the
demo clock is advanced."""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError, call_command

from commerce.clock import format_day, hub_now
from payments.models import Payment
from subscriptions.models import Subscription
from tests.payments import support

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path, stripe_hub):
    settings.DEBUG = True
    settings.SUBSCRIPTION_DEMO_CLOCK_FILE = str(tmp_path / "demo-clock")
    return stripe_hub


def test_link_subscription_is_billed_again_after_advancing_the_clock(
    client, demo, ready_account, portal, super_admin, capsys
):
    link = support.make_link(portal, super_admin)
    checkout = support.start_checkout(client, link)
    support.confirm(demo, checkout)
    support.return_to_hub(client, link, checkout)
    subscription = Subscription.objects.get(portal=portal)
    assert subscription.periods_billed == 1 and subscription.payment_method_id

    call_command("advance_demo_clock", days=32)

    subscription.refresh_from_db()
    assert subscription.periods_billed == 2
    assert Payment.objects.filter(source=Payment.Source.SUBSCRIPTION).count() == 1
    assert "Billed 1 subscription" in capsys.readouterr().out


def test_refused_outside_development(settings, stripe_hub):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("advance_demo_clock", days=1)


def _row_date(html: str, payment: Payment) -> str:
    """The date in the table row that links to `payment`."""
    row = re.search(
        rf'<tr>(?:(?!</tr>).)*href="/payments/{payment.pk}/"(?:(?!</tr>).)*</tr>', html, re.S
    )
    assert row, f"no row for payment {payment.pk}"
    return re.findall(r"[A-Z][a-z]{2} \d{1,2}, \d{4}", row.group(0))[-1]


def test_renewal_reads_the_same_day_everywhere_after_advancing_the_clock(
    client, demo, ready_account, portal, super_admin, billing_client
):
    # Given a subscription bought through a payment link
    link = support.make_link(portal, super_admin)
    checkout = support.start_checkout(client, link)
    support.confirm(demo, checkout)
    support.return_to_hub(client, link, checkout)
    subscription = Subscription.objects.get(portal=portal)

    # When the demo clock moves a month on and the renewal is charged
    call_command("advance_demo_clock", days=32)
    renewal = Payment.objects.get(source=Payment.Source.SUBSCRIPTION)

    # Then the payments list and the subscription page (the web process, reading the
    # same demo clock) give the renewal the hub's day, not the wall clock's
    today = format_day(hub_now(), portal.time_zone)
    payments_list = billing_client.get("/payments/").content.decode()
    detail = billing_client.get(f"/subscriptions/{subscription.pk}/").content.decode()
    assert _row_date(payments_list, renewal) == _row_date(detail, renewal) == today
    assert renewal.created_at.date() == hub_now().date()
