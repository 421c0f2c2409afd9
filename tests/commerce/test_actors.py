"""commerce.actors: a timeline row written while something other than a signed-in user
acts (an API key) records it as `via`, without the service being told."""

import pytest

from commerce.actors import VIA_MAX_LENGTH, acting_via, current_via
from quotes.models import QuoteEvent
from subscriptions.models import SubscriptionEvent
from tests.factories import QuoteFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def test_rows_written_inside_record_the_label_and_rows_outside_do_not(portal):
    quote = QuoteFactory(portal=portal)
    subscription = SubscriptionFactory(portal=portal)
    with acting_via(lambda: "API key “Website” (chk_live_ab…)"):
        inside = QuoteEvent.objects.create(quote=quote, kind=QuoteEvent.Kind.UPDATED)
        change = SubscriptionEvent.objects.create(
            portal=portal, subscription=subscription, kind="paused", message="Paused"
        )
    outside = QuoteEvent.objects.create(quote=quote, kind=QuoteEvent.Kind.UPDATED)
    assert inside.via == change.via == "API key “Website” (chk_live_ab…)"
    assert outside.via == ""


def test_the_label_is_read_when_a_row_is_made_and_the_context_is_restored():
    who = {"label": ""}
    with acting_via(lambda: who["label"]):
        assert current_via() == ""
        who["label"] = "API key “Late”"
        assert current_via() == "API key “Late”"
        with acting_via(lambda: "x" * 500):
            assert current_via() == "x" * VIA_MAX_LENGTH
        assert current_via() == "API key “Late”"
    assert current_via() == ""
