"""The card limit ($999,999.99, what a card can pay at once) holds on quotes as on every
document: a quote the buyer pays when accepting cannot come to more, said clearly in the
builder; a quote paid another way may; and a quote above it is never offered a card
payment on its page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from payments.models import Checkout
from quotes import services
from quotes.kind import QuoteError
from quotes.models import Quote, QuoteStatus
from tests.payments.support import intents_on, text
from tests.support import line

pytestmark = pytest.mark.django_db

TURBINES = [line("Turbines", quantity=2, unit_amount=60_000_000)]  # $1,200,000.00


def builder_data(contact, **overrides):
    data = {
        "title": "Wind farm",
        "contact": str(contact.pk),
        "owner": "",
        "expires_on": "2099-01-31",
        "requires_payment": "on",
        "discount_type": "percent",
        "discount_value": "",
        "terms": "",
        "comments": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-name": "Turbines",
        "lines-0-quantity": "2",
        "lines-0-unit_amount": "600000",
        "lines-0-discount_type": "percent",
        "lines-0-ORDER": "1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_builder_refuses_a_quote_paid_on_acceptance_above_the_card_limit(rep_client, contact):
    response = rep_client.post(reverse("quotes:create"), builder_data(contact))

    assert response.status_code == 400
    page = text(response)
    assert "The total is $1,200,000.00: a card can pay at most $999,999.99 at once." in page
    assert "untick “The buyer pays when accepting”" in page
    assert "More than a card can pay at once ($999,999.99)." in page  # under the totals
    assert not Quote.objects.exists()


def test_a_quote_paid_another_way_may_come_to_more(rep_client, contact):
    data = builder_data(contact, requires_payment=None)

    response = rep_client.post(reverse("quotes:create"), data)

    assert response.status_code == 302
    quote = Quote.objects.get()
    assert services.quote_publish(quote=quote, actor=None).status == QuoteStatus.PUBLISHED


def test_publishing_checks_the_card_limit_too(make_quote):
    draft = make_quote(lines=TURBINES, requires_payment=False)
    Quote.objects.filter(pk=draft.pk).update(requires_payment=True)  # as an older draft

    with pytest.raises(QuoteError, match=r"a card can pay at most \$999,999\.99 at once"):
        services.quote_publish(quote=draft, actor=None)


def test_an_older_quote_above_the_card_limit_is_never_offered_a_card_payment(
    stripe_hub, ready_account, make_quote
):
    quote = make_quote(lines=TURBINES, requires_payment=False, publish=True)
    Quote.objects.filter(pk=quote.pk).update(requires_payment=True)  # published before the rule
    buyer = Client()
    page = buyer.get(reverse("quotes:public", args=[quote.public_token])).content.decode()
    assert "Accept, sign and pay" not in page

    response = buyer.post(
        reverse("quotes:public_accept", args=[quote.public_token]),
        {"signed_name": "Bea Buyer", "agree": "on"},
    )

    assert response.status_code == 302  # back to the quote, not on to a card step
    accepted = text(buyer.get(response["Location"]))
    assert 'data-testid="pay-quote"' not in accepted
    assert "A card can pay at most $999,999.99 at once" in accepted
    refused = buyer.post(reverse("quotes:public_pay", args=[quote.public_token]))
    assert refused.status_code == 400
    assert "more than a card can pay at once" in text(refused)
    assert not Checkout.objects.exists()
    assert intents_on(stripe_hub, ready_account.stripe_id) == []
