"""A payment's net as known now: the rule for one payment (the detail page) and the
query expression the reports sum agree on every state fee sync can leave a payment in."""

from __future__ import annotations

import pytest

from payments.ledger.net import NET_NOW, NET_PENDING, payment_net_now
from payments.models import Payment
from tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db

# (fee, net, refunded_amount, stripe_refunded, application fee) → (net now, pending)
STATES = {
    "fee not synced": ((None, None, 0, None, 0), (5_000, True)),
    "fee not synced, refunded": ((None, None, 2_000, None, 0), (3_000, True)),
    "fee not synced, application fee": ((None, None, 0, None, 100), (4_900, True)),
    "synced": ((175, 4_825, 0, 0, 0), (4_825, False)),
    "synced, then refunded": ((175, 4_825, 2_000, 0, 0), (2_825, True)),
    "synced after the refund": ((175, 2_825, 2_000, 2_000, 0), (2_825, False)),
    "Stripe ahead of the hub": ((175, 2_825, 0, 2_000, 0), (2_825, False)),
    "synced before stripe_refunded was kept": ((175, 4_825, 2_000, None, 0), (4_825, False)),
}


@pytest.mark.parametrize("state", sorted(STATES))
def test_the_page_and_the_reports_agree_on_the_net(portal, state):
    (fee, net, refunded, stripe_refunded, app_fee), expected = STATES[state]
    payment = PaymentFactory(
        portal=portal,
        amount=5_000,
        fee=fee,
        net=net,
        refunded_amount=refunded,
        stripe_refunded=stripe_refunded,
        application_fee_amount=app_fee,
    )
    now = payment_net_now(payment)
    assert (now.amount, now.pending) == expected
    row = Payment.objects.filter(pk=payment.pk)
    assert row.annotate(now=NET_NOW).get().now == now.amount
    assert row.filter(NET_PENDING).exists() == now.pending
