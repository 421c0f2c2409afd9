"""invoice.finalized|sent|paid|partially_paid|past_due|voided|marked_uncollectible fire
exactly once per change, in the change's transaction, with the invoice's snapshot (lines
included, read without a query); a payment, by hand or by card, adds one INSERT."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commerce.events import catalogue
from commerce.events.models import Event
from commerce.events.services import snapshot
from invoices import emails, services
from invoices.kind import InvoiceError
from invoices.models import InvoicePayment, InvoiceSettings, InvoiceStatus
from invoices.tasks import sweep_invoices
from payments import checkout as checkout_service
from payments.models import Checkout
from tests.factories import ContactFactory
from tests.payments.support import confirm, text
from tests.support import line

pytestmark = pytest.mark.django_db

SAMPLE = catalogue.SAMPLE_OBJECTS["invoice"]


@pytest.fixture
def make_invoice(portal):
    contact = ContactFactory(portal=portal, email="buyer@client.test", first_name="Bea")

    def make(*, finalize=True, **fields):
        invoice = services.invoice_create(
            portal=portal,
            actor=None,
            contact=contact,
            issue_date=fields.pop("issue_date", services.portal_today(portal)),
            lines=fields.pop("lines", [line("Workshop", quantity=2, tax_rate=Decimal("10"))]),
            **fields,
        )
        return services.invoice_finalize(invoice=invoice, actor=None) if finalize else invoice

    return make


def _events(type: str | None = None) -> list[Event]:
    events = Event.objects.order_by("id")
    return list(events.filter(type=type) if type else events)


def _the_event(type: str, invoice) -> Event:
    events = _events(type)
    assert len(events) == 1, [e.type for e in _events()]
    event = events[0]
    assert (event.object_type, event.object_id, event.portal_id) == (
        "invoice",
        str(invoice.pk),
        invoice.portal_id,
    )
    assert set(event.data) == set(SAMPLE)
    assert set(event.data["status_transitions"]) == set(SAMPLE["status_transitions"])
    assert event.data["lines"]
    assert all(set(x) == set(SAMPLE["lines"][0]) for x in event.data["lines"])
    return event


def _event_queries(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "events_" in q["sql"]]


def _only_one_event_insert(ctx: CaptureQueriesContext) -> None:
    queries = _event_queries(ctx)
    assert len(queries) == 1, queries
    assert queries[0].lstrip().upper().startswith("INSERT INTO")


def _pay(invoice, amount: int, method: str = "cheque") -> InvoicePayment:
    return services.invoice_record_payment(
        invoice=invoice, actor=None, method=method, amount=amount, paid_on=invoice.issue_date
    )


def test_snapshot_has_the_keys_of_the_sample_and_reads_no_table(
    make_invoice, django_assert_num_queries
):
    invoice = make_invoice()
    prefetched = type(invoice).objects.prefetch_related("lines").get(pk=invoice.pk)
    with django_assert_num_queries(0):
        object_type, data = snapshot(prefetched)
    assert object_type == "invoice"
    assert set(data) == set(SAMPLE)


def test_invoice_finalized_fires_once_with_its_number_lines_and_totals(make_invoice):
    draft = make_invoice(finalize=False)
    assert _events() == []  # a draft is not news
    with CaptureQueriesContext(connection) as ctx:
        invoice = services.invoice_finalize(invoice=draft, actor=None)
    _only_one_event_insert(ctx)
    with pytest.raises(InvoiceError):
        services.invoice_finalize(invoice=invoice, actor=None)
    data = _the_event("invoice.finalized", invoice).data
    # 2 x $100.00 with 10 % tax
    assert (data["number"], data["status"], data["contact"]) == (
        invoice.display_number,
        "open",
        str(invoice.contact_id),
    )
    assert (data["subtotal"], data["discount"], data["tax"], data["total"]) == (
        20_000,
        0,
        2_000,
        22_000,
    )
    assert (data["amount_paid"], data["amount_due"], data["currency"]) == (0, 22_000, "usd")
    assert data["lines"] == [
        {
            "name": "Workshop",
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
    assert data["status_transitions"]["finalized"] is not None
    assert data["issue_date"] == invoice.issue_date.isoformat()


def test_invoice_sent_fires_once_per_email(make_invoice, billing_client):
    draft = make_invoice(finalize=False)
    with pytest.raises(InvoiceError, match="Finalize the invoice before sending it"):
        emails.invoice_send(invoice=draft, actor=None)
    assert _events() == []
    invoice = services.invoice_finalize(invoice=draft, actor=None)
    with CaptureQueriesContext(connection) as ctx:
        response = billing_client.post(reverse("invoices:send", args=[invoice.pk]), {})
    assert response.status_code == 302, response.content[:2000]
    _only_one_event_insert(ctx)
    data = _the_event("invoice.sent", invoice).data
    assert data["sent"] is not None
    emails.invoice_send(invoice=invoice, actor=None)  # sending again is a resend
    assert len(_events("invoice.sent")) == 2


def test_invoice_partially_paid_then_paid_by_manual_payments(make_invoice):
    invoice = make_invoice()  # $220.00 due
    _pay(invoice, 5_000)
    data = _the_event("invoice.partially_paid", invoice).data
    assert (data["status"], data["amount_paid"], data["amount_due"]) == (
        "partially_paid",
        5_000,
        17_000,
    )
    assert _events("invoice.paid") == []
    _pay(invoice, 17_000)
    data = _the_event("invoice.paid", invoice).data
    assert (data["status"], data["amount_paid"], data["amount_due"]) == ("paid", 22_000, 0)
    assert data["status_transitions"]["paid"] is not None
    assert len(_events("invoice.partially_paid")) == 1
    with pytest.raises(InvoiceError):
        _pay(invoice, 100)  # nothing is due: refused, no event
    assert [e.type for e in _events()] == [
        "invoice.finalized",
        "invoice.partially_paid",
        "invoice.paid",
    ]


def test_recording_a_manual_payment_adds_exactly_one_insert(make_invoice):
    invoice = make_invoice()
    with CaptureQueriesContext(connection) as ctx:
        _pay(invoice, 22_000)
    _only_one_event_insert(ctx)
    statements = [
        q["sql"].split(" WHERE ")[0].split(" (")[0]
        for q in ctx.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]
    inserts = [s.removeprefix("INSERT INTO ") for s in statements if s.startswith("INSERT")]
    assert inserts == [
        '"invoices_invoicepayment"',
        '"invoices_invoiceevent"',  # the timeline: "payment recorded"
        '"invoices_invoiceevent"',  # the timeline: "paid"
        '"events_event"',  # invoice.paid: the only INSERT the event adds
    ]
    # The lock, the payments' sum, the invoice's update; then the lines for the event's
    # snapshot (loaded by the service: the snapshot itself reads nothing) and its INSERT.
    assert len(statements) == 8, statements
    assert [s for s in statements if "invoices_invoiceline" in s] == [statements[-2]]


def test_invoice_paid_by_card_fires_once_and_adds_one_insert(
    stripe_hub, ready_account, make_invoice
):
    invoice = make_invoice()
    buyer = Client()
    response = buyer.post(reverse("invoices_public:pay", args=[invoice.public_token]), {})
    assert response.status_code == 303, text(response)[:2000]
    checkout = Checkout.objects.get(source="invoice", document_id=invoice.pk)
    confirm(stripe_hub, checkout)
    intent = checkout_service.fetch_intent(checkout)
    before = {e.pk for e in _events()}
    with CaptureQueriesContext(connection) as ctx:
        checkout_service.checkout_complete(checkout_id=checkout.pk, payment_intent=intent)
    new = [e for e in _events() if e.pk not in before]
    assert [e.type for e in new if e.object_type == "invoice"] == ["invoice.paid"]
    # The completion writes events only by INSERT (the payment's and the checkout's too);
    # the invoice's payment adds exactly one of them.
    event_queries = _event_queries(ctx)
    assert all(q.lstrip().upper().startswith("INSERT INTO") for q in event_queries)
    assert len([q for q in event_queries if "'invoice." in q]) == 1
    line_reads = [q for q in ctx.captured_queries if "invoices_invoiceline" in q["sql"]]
    assert len(line_reads) == 1  # the event's lines, loaded once by the service
    # Stripe's webhook completing it again records nothing more.
    checkout_service.checkout_complete(checkout_id=checkout.pk, payment_intent=intent)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    data = _the_event("invoice.paid", invoice).data
    assert (data["amount_paid"], data["amount_due"]) == (22_000, 0)


def test_a_part_paid_by_card_is_partially_paid(stripe_hub, ready_account, make_invoice, portal):
    services.invoice_settings_for(portal=portal)
    InvoiceSettings.objects.filter(portal=portal).update(allow_partial_payments=True)
    invoice = make_invoice()
    buyer = Client()
    response = buyer.post(
        reverse("invoices_public:pay", args=[invoice.public_token]), {"amount": "50.00"}
    )
    assert response.status_code == 303, text(response)[:2000]
    checkout = Checkout.objects.get(source="invoice", document_id=invoice.pk)
    confirm(stripe_hub, checkout)
    checkout_service.checkout_sync(checkout=checkout)
    data = _the_event("invoice.partially_paid", invoice).data
    assert (data["amount_paid"], data["amount_due"]) == (5_000, 17_000)
    assert _events("invoice.paid") == []


def test_invoice_past_due_fires_once_when_the_sweep_finds_it(make_invoice, portal):
    with time_machine.travel(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), tick=False):
        invoice = make_invoice(issue_date=dt.date(2026, 3, 1))  # net 30: due March 31
    with time_machine.travel(dt.datetime(2026, 4, 2, 12, tzinfo=dt.UTC), tick=False):
        assert sweep_invoices.delay().get()["past_due"] == 1
        assert sweep_invoices.delay().get()["past_due"] == 0  # a second run: no change
    data = _the_event("invoice.past_due", invoice).data
    assert (data["status"], data["due_date"]) == ("past_due", "2026-03-31")
    # A payment on a past-due invoice leaves it past due: it is a part payment.
    invoice.refresh_from_db()
    with time_machine.travel(dt.datetime(2026, 4, 3, 12, tzinfo=dt.UTC), tick=False):
        _pay(invoice, 1_000)
    data = _the_event("invoice.partially_paid", invoice).data
    assert (data["status"], data["amount_paid"]) == ("past_due", 1_000)


def test_invoice_voided_fires_once(make_invoice):
    invoice = make_invoice()
    services.invoice_void(invoice=invoice, actor=None, reason="Billed twice")
    with pytest.raises(InvoiceError):
        services.invoice_void(invoice=invoice, actor=None)
    data = _the_event("invoice.voided", invoice).data
    assert (data["status"], data["amount_due"]) == ("void", 0)
    assert data["status_transitions"]["voided"] is not None


def test_invoice_marked_uncollectible_fires_once(make_invoice):
    invoice = make_invoice()
    services.invoice_mark_uncollectible(invoice=invoice, actor=None, reason="Gone")
    with pytest.raises(InvoiceError):
        services.invoice_mark_uncollectible(invoice=invoice, actor=None)
    data = _the_event("invoice.marked_uncollectible", invoice).data
    assert data["status"] == "uncollectible"
    assert data["status_transitions"]["marked_uncollectible"] is not None


def test_a_rolled_back_payment_leaves_no_event(make_invoice):
    invoice = make_invoice()

    class Crash(Exception):
        pass

    with pytest.raises(Crash), transaction.atomic():
        _pay(invoice, 22_000)
        assert _events("invoice.paid")  # written in the transaction…
        raise Crash
    assert _events("invoice.paid") == []  # … and gone with it
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.OPEN, 0)


def test_an_event_that_cannot_be_written_leaves_no_payment(make_invoice, monkeypatch):
    invoice = make_invoice()

    def broken_insert(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(Event, "save", broken_insert)  # an injected fault
    with pytest.raises(DatabaseError):
        _pay(invoice, 22_000)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.OPEN, 0)
    assert not InvoicePayment.objects.exists()
