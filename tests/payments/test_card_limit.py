"""The card limit ($999,999.99, what a card can pay at once) is one rule for every
document (commerce.money): a payment link above it is refused with the same words as a
quote, an invoice or a subscription."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from commerce import money
from payments.links.services import LineSpec
from payments.models import PaymentLink
from tests.factories import ProductFactory
from tests.payments.support import make_link

pytestmark = pytest.mark.django_db


def test_a_link_above_the_card_limit_is_refused_with_the_shared_words(portal):
    turbine = ProductFactory(portal=portal, name="Turbine", unit_price=60_000_000)

    with pytest.raises(ValidationError) as refused:
        make_link(portal, lines=[LineSpec(product_id=turbine.pk, quantity=2)])

    assert refused.value.messages == [
        "The total due today is $1,200,000.00: a card can pay at most $999,999.99 at once. "
        "Lower the quantities or prices."
    ]
    assert not PaymentLink.objects.exists()


def test_the_card_limit_is_stripes_largest_charge():
    assert money.CARD_LIMIT_CENTS == 99_999_999
    assert not money.over_card_limit(99_999_999) and money.over_card_limit(100_000_000)
    assert money.card_limit_refusal(99_999_999, what="The total") is None
