"""`make dev`: a subscription bought through a payment link is billed again when the
demo clock is advanced."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

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
