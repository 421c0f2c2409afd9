"""quote.published|accepted|declined|expired|paid fire exactly once per change, in the
change's transaction, with the quote's snapshot (lines included, read without a query)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commerce.catalog.models import BillingFrequency
from commerce.events import catalogue
from commerce.events.models import Event
from commerce.events.services import snapshot
from payments import checkout as checkout_service
from payments.models import Checkout
from quotes import services
from quotes.kind import QuoteError
from quotes.models import QuoteStatus
from quotes.tasks import sweep_quotes
from tests.factories import ContactFactory
from tests.payments.support import confirm, text
from tests.support import line

pytestmark = pytest.mark.django_db

SAMPLE = catalogue.SAMPLE_OBJECTS["quote"]


@pytest.fixture
def make_quote(portal, sales_rep):
    contact = ContactFactory(portal=portal, email="buyer@client.test", first_name="Bea")

    def make(*, publish=False, **fields):
        quote = services.quote_create(
            portal=portal,
            actor=None,
            title="Website redesign",
            contact=contact,
            owner=sales_rep,
            expires_on=fields.pop("expires_on", services.default_expiry(portal=portal)),
            lines=fields.pop("lines", [line("Design", quantity=2, tax_rate=Decimal("10"))]),
            **fields,
        )
        return services.quote_publish(quote=quote, actor=None) if publish else quote

    return make


def _events(type: str | None = None) -> list[Event]:
    events = Event.objects.order_by("id")
    return list(events.filter(type=type) if type else events)


def _the_event(type: str, quote) -> Event:
    events = _events(type)
    assert len(events) == 1, [e.type for e in _events()]
    event = events[0]
    assert (event.object_type, event.object_id, event.portal_id) == (
        "quote",
        str(quote.pk),
        quote.portal_id,
    )
    assert set(event.data) == set(SAMPLE)
    assert set(event.data["status_transitions"]) == set(SAMPLE["status_transitions"])
    assert event.data["lines"]
    assert all(set(x) == set(SAMPLE["lines"][0]) for x in event.data["lines"])
    return event


def _only_one_event_insert(ctx: CaptureQueriesContext) -> None:
    queries = [q["sql"] for q in ctx.captured_queries if "events_" in q["sql"]]
    assert len(queries) == 1, queries
    assert queries[0].lstrip().upper().startswith("INSERT INTO")


def _accept(quote):
    return services.quote_accept(
        quote=quote, signed_name="Bea Buyer", agreed_to_terms=True, ip=None, user_agent="test"
    )


def test_snapshot_has_the_keys_of_the_sample_and_reads_no_table(
    make_quote, django_assert_num_queries
):
    quote = make_quote(publish=True)
    locked = type(quote).objects.prefetch_related("lines").get(pk=quote.pk)
    with django_assert_num_queries(0):
        object_type, data = snapshot(locked)
    assert object_type == "quote"
    assert set(data) == set(SAMPLE)


def test_quote_published_fires_once_with_its_lines_and_totals(make_quote):
    quote = make_quote()
    assert _events("quote.published") == []
    with CaptureQueriesContext(connection) as ctx:
        services.quote_publish(quote=quote, actor=None)
    _only_one_event_insert(ctx)
    with pytest.raises(QuoteError):
        services.quote_publish(quote=quote, actor=None)  # already published: refused
    data = _the_event("quote.published", quote).data
    # 2 x $100.00 with 10 % tax
    assert (data["status"], data["number"], data["contact"]) == (
        "published",
        quote.display_number,
        str(quote.contact_id),
    )
    assert (data["subtotal"], data["discount"], data["tax"], data["total"]) == (
        20_000,
        0,
        2_000,
        22_000,
    )
    assert data["currency"] == "usd"
    assert data["lines"] == [
        {
            "name": "Design",
            "sku": "",
            "description": "",
            "quantity": 2,
            "unit_amount": 10_000,
            "discount_percent": None,
            "discount_amount": None,
            "tax_rate": "10.000",
            "billing_frequency": "one_time",
            "term_periods": None,
            "amount": 20_000,
        }
    ]
    assert data["status_transitions"]["published"] is not None


def test_quote_accepted_fires_once_through_the_buyers_page(make_quote):
    quote = make_quote(publish=True, requires_payment=False)
    buyer = Client()
    url = reverse("quotes:public_accept", args=[quote.public_token])
    response = buyer.post(url, {"signed_name": "Bea Buyer", "agree": "on"})
    assert response.status_code == 302
    assert buyer.post(url, {"signed_name": "Bea Buyer", "agree": "on"}).status_code == 400
    data = _the_event("quote.accepted", quote).data
    assert (data["status"], data["accepted_by"]) == ("accepted", "Bea Buyer")
    assert data["status_transitions"]["accepted"] is not None


def test_quote_accepted_adds_one_insert_and_reads_the_lines_once(make_quote):
    quote = make_quote(publish=True, requires_payment=False)
    with CaptureQueriesContext(connection) as ctx:
        _accept(quote)
    _only_one_event_insert(ctx)
    line_reads = [q for q in ctx.captured_queries if "quotes_quoteline" in q["sql"]]
    assert len(line_reads) == 1  # loaded for the snapshot, in the service


def test_quote_declined_fires_once(make_quote):
    quote = make_quote(publish=True)
    services.quote_decline(quote=quote, reason="Too expensive")
    with pytest.raises(QuoteError):
        services.quote_decline(quote=quote, reason="Again")
    data = _the_event("quote.declined", quote).data
    assert (data["status"], data["decline_reason"]) == ("declined", "Too expensive")


def test_quote_expired_fires_once_when_the_sweep_expires_it(make_quote, portal):
    with time_machine.travel(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), tick=False):
        quote = make_quote(publish=True, expires_on=dt.date(2026, 3, 20))
    with time_machine.travel(dt.datetime(2026, 3, 22, 12, tzinfo=dt.UTC), tick=False):
        assert sweep_quotes.delay().get()["expired"] == 1
        assert sweep_quotes.delay().get()["expired"] == 0  # a second run changes nothing
    data = _the_event("quote.expired", quote).data
    assert data["status"] == "expired"
    assert data["status_transitions"]["expired"].startswith("2026-03-22")
    assert data["updated"].startswith("2026-03-22")  # a status change updates the quote


def test_quote_paid_fires_once_when_the_buyer_pays_by_card(stripe_hub, ready_account, make_quote):
    quote = make_quote(
        publish=True,
        requires_payment=True,
        lines=[
            line("Setup", unit_amount=50_000),
            line(
                "Support plan",
                unit_amount=9_900,
                billing_frequency=BillingFrequency.MONTHLY,
                term_periods=12,
            ),
        ],
    )
    buyer = Client()
    response = buyer.post(
        reverse("quotes:public_accept", args=[quote.public_token]),
        {"signed_name": "Bea Buyer", "agree": "on"},
    )
    assert response.status_code == 303, text(response)[:2000]
    checkout = Checkout.objects.get(source="quote", document_id=quote.pk)
    confirm(stripe_hub, checkout)
    intent = checkout_service.fetch_intent(checkout)
    # The buyer's return and Stripe's webhook both complete it: paid once.
    for _ in range(2):
        checkout_service.checkout_complete(checkout_id=checkout.pk, payment_intent=intent)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.PAID
    data = _the_event("quote.paid", quote).data
    assert (data["status"], data["payment"]) == ("paid", str(quote.payment_id))
    assert data["total"] == 59_900  # the setup and the first month
    assert [(x["name"], x["billing_frequency"]) for x in data["lines"]] == [
        ("Setup", "one_time"),
        ("Support plan", "monthly"),
    ]
    assert [e.type for e in _events() if e.object_type == "quote"] == [
        "quote.published",
        "quote.accepted",
        "quote.paid",
    ]


def test_a_rolled_back_transition_leaves_no_event(make_quote):
    quote = make_quote()

    class Crash(Exception):
        pass

    with pytest.raises(Crash), transaction.atomic():
        services.quote_publish(quote=quote, actor=None)
        assert _events("quote.published")  # written in the transaction…
        raise Crash
    assert _events() == []  # … and gone with it
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT


def test_a_refused_answer_records_no_event(make_quote):
    quote = make_quote(publish=True)
    with pytest.raises(QuoteError, match="full name"):
        services.quote_accept(
            quote=quote, signed_name="B", agreed_to_terms=True, ip=None, user_agent=""
        )
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.PUBLISHED
    assert [e.type for e in _events()] == ["quote.published"]
