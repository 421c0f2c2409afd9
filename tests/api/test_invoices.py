"""/api/v1/invoices: the invoice editor's and invoice page's services over the API."""

import datetime as dt
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail

from api import services as keys
from commerce.clock import hub_now
from commerce.documents.kinds import portal_today
from commerce.events.models import Event
from commerce.events.services import snapshot
from commerce.money import MAX_AMOUNT_CENTS
from invoices import services
from invoices.models import Invoice, InvoiceEvent, InvoicePayment, InvoiceStatus
from invoices.selectors import invoice_search
from tests.factories import ContactFactory, InvoiceFactory, ProductFactory

from .conftest import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(portal):
    return ContactFactory(portal=portal, email="buyer@client.test")


@pytest.fixture
def product(portal):
    return ProductFactory(
        portal=portal,
        name="Growth plan",
        sku="GROW",
        unit_price=14_900,
        billing_frequency="monthly",
    )


def _snapshot(invoice):
    invoices = invoice_search(portal=invoice.portal).prefetch_related("lines")
    return snapshot(invoices.get(pk=invoice.pk))[1]


def _ids(response):
    assert response.status_code == 200, response.content
    return [i["id"] for i in response.json()["data"]]


def _custom(**extra):
    return {"name": "Setup", "quantity": 1, "unit_amount": 10_000, **extra}


def _open(portal, contact, **kwargs):
    """A finalized $100.00 invoice, as the hub finalizes them."""
    return services.invoice_finalize(
        invoice=InvoiceFactory(portal=portal, contact=contact, **kwargs), actor=None
    )


def test_create_retrieve_update_and_finalize_an_invoice(api, portal, contact, product):
    created = api.post(
        "/invoices",
        {
            "contact": str(contact.pk),
            "payment_terms": "net_15",
            "memo": "PO 1234",
            "lines": [{"product": str(product.pk), "quantity": 2}, _custom(tax_rate=10)],
        },
    )
    assert created.status_code == 200, created.content
    invoice = Invoice.objects.get(portal=portal)
    body = created.json()
    assert body == _snapshot(invoice)
    assert body["status"] == "draft" and body["number"] is None
    today = portal_today(portal)
    assert body["issue_date"] == today.isoformat()
    assert body["due_date"] == (today + dt.timedelta(days=15)).isoformat()
    # An invoice bills once: the monthly product is a one-time line.
    assert [line["billing_frequency"] for line in body["lines"]] == ["one_time", "one_time"]
    assert (body["subtotal"], body["tax"], body["total"], body["amount_due"]) == (
        39_800,
        1_000,
        40_800,
        0,
    )
    assert invoice.memo == "PO 1234"

    assert api.get(f"/invoices/{invoice.pk}").json() == body

    custom = (today + dt.timedelta(days=5)).isoformat()
    dated = api.post(
        f"/invoices/{invoice.pk}", {"payment_terms": "custom", "due_date": custom}
    ).json()
    assert dated["due_date"] == custom and dated["lines"] == body["lines"]
    relined = api.post(f"/invoices/{invoice.pk}", {"lines": [_custom(unit_amount=5_000)]}).json()
    assert relined["total"] == 5_000 and relined["due_date"] == custom

    finalized = api.post(f"/invoices/{invoice.pk}/finalize")
    assert finalized.status_code == 200, finalized.content
    invoice.refresh_from_db()
    assert finalized.json() == _snapshot(invoice)
    assert finalized.json()["status"] == "open"
    assert finalized.json()["number"] == invoice.display_number
    assert finalized.json()["amount_due"] == 5_000
    assert Event.objects.filter(type="invoice.finalized", object_id=str(invoice.pk)).count() == 1


def test_send_mails_the_invoice_to_its_contact(
    api, portal, contact, django_capture_on_commit_callbacks
):
    invoice = _open(portal, contact)
    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post(f"/invoices/{invoice.pk}/send", {"message": "Thanks!"})
    assert sent.status_code == 200, sent.content
    assert sent.json()["sent"] is not None
    [email] = mail.outbox
    assert email.to == ["buyer@client.test"] and "Thanks!" in email.body
    assert email.attachments[0][2] == "application/pdf"
    assert Event.objects.filter(type="invoice.sent").count() == 1


def test_record_a_manual_payment_then_the_rest(api, portal, contact):
    invoice = _open(portal, contact)
    part = api.post(
        f"/invoices/{invoice.pk}/payments",
        {"amount": 4_000, "method": "cheque", "reference": "Chq 118"},
    )
    assert part.status_code == 200, part.content
    assert (part.json()["status"], part.json()["amount_paid"], part.json()["amount_due"]) == (
        "partially_paid",
        4_000,
        6_000,
    )
    rest = api.post(
        f"/invoices/{invoice.pk}/payments",
        {"amount": 6_000, "method": "bank_transfer", "paid_on": portal_today(portal).isoformat()},
    ).json()
    assert rest["status"] == "paid" and rest["amount_due"] == 0
    assert rest["status_transitions"]["paid"] is not None
    payments = InvoicePayment.objects.filter(invoice=invoice).order_by("id")
    assert [(p.method, p.amount, p.reference) for p in payments] == [
        ("cheque", 4_000, "Chq 118"),
        ("bank_transfer", 6_000, ""),
    ]
    assert Event.objects.filter(type="invoice.paid").count() == 1


def test_void_and_mark_uncollectible(api, portal, contact):
    voided = api.post(f"/invoices/{_open(portal, contact).pk}/void", {"reason": "Duplicate"})
    assert voided.status_code == 200, voided.content
    assert voided.json()["status"] == "void" and voided.json()["amount_due"] == 0
    assert InvoiceEvent.objects.get(kind=InvoiceEvent.Kind.VOIDED).detail == "Duplicate"

    invoice = _open(portal, contact)
    # The body of an action is optional: none at all is no reason.
    written_off = api.post(f"/invoices/{invoice.pk}/mark_uncollectible", raw="")
    assert written_off.json()["status"] == "uncollectible"
    assert written_off.json()["status_transitions"]["marked_uncollectible"] is not None
    assert Event.objects.filter(type="invoice.voided").count() == 1
    assert Event.objects.filter(type="invoice.marked_uncollectible").count() == 1


def test_writes_through_the_api_name_the_key_on_the_timeline(make_key, api_for, portal, contact):
    key = make_key(name="Back office")
    api = api_for(key.secret)
    invoice = InvoiceFactory(portal=portal, contact=contact)
    api.post(f"/invoices/{invoice.pk}/finalize")
    api.post(f"/invoices/{invoice.pk}/payments", {"amount": 1_000, "method": "cash"})
    label = f"API key “Back office” ({key.key.prefix}…)"
    entries = InvoiceEvent.objects.filter(invoice=invoice)
    assert {e.kind for e in entries} >= {"finalized", "payment"}
    assert all(e.via == label and e.actor is None for e in entries if e.kind != "created")


@pytest.mark.parametrize(
    ("action", "body", "status"),
    [
        ("finalize", {}, "open"),
        ("void", {}, "paid"),
        ("mark_uncollectible", {}, "paid"),
        ("payments", {"amount": 100, "method": "cash"}, "paid"),
        ("payments", {"amount": 100, "method": "cash"}, "void"),
        ("send", {}, "draft"),
        ("void", {}, "draft"),
        ("", {"memo": "Changed"}, "open"),
    ],
)
def test_a_transition_the_status_does_not_allow_is_a_400_invalid_status(
    api, portal, contact, action, body, status
):
    invoice = InvoiceFactory(portal=portal, contact=contact)
    if status != "draft":
        invoice = services.invoice_finalize(invoice=invoice, actor=None)
    if status == "paid":
        services.invoice_record_payment(
            invoice=invoice, actor=None, method="cash", amount=10_000, paid_on=portal_today(portal)
        )
    if status == "void":
        services.invoice_void(invoice=invoice, actor=None)
    before = _snapshot(invoice)
    path = f"/invoices/{invoice.pk}/{action}" if action else f"/invoices/{invoice.pk}"
    error = assert_error(api.post(path, body), 400, "invalid_request_error")
    assert error["code"] == "invalid_status", error
    assert _snapshot(invoice) == before


def test_what_the_services_refuse_is_a_400_saying_why(api, portal, contact):
    no_contact = InvoiceFactory(portal=portal, contact=None)
    error = assert_error(
        api.post(f"/invoices/{no_contact.pk}/finalize"), 400, "invalid_request_error"
    )
    assert error["code"] == "document_refused" and "contact" in error["message"]

    invoice = _open(portal, contact)
    too_much = api.post(f"/invoices/{invoice.pk}/payments", {"amount": 10_001, "method": "cash"})
    assert (
        "more than the amount due"
        in assert_error(too_much, 400, "invalid_request_error")["message"]
    )
    tomorrow = (portal_today(portal) + dt.timedelta(days=1)).isoformat()
    future = api.post(
        f"/invoices/{invoice.pk}/payments", {"amount": 100, "method": "cash", "paid_on": tomorrow}
    )
    assert "future" in assert_error(future, 400, "invalid_request_error")["message"]
    api.post(f"/invoices/{invoice.pk}/payments", {"amount": 100, "method": "cash"})
    with_payment = api.post(f"/invoices/{invoice.pk}/void")
    error = assert_error(with_payment, 400, "invalid_request_error")
    assert error["code"] == "document_refused" and "payments" in error["message"]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID and invoice.amount_paid == 100


def _at(invoice, when):
    Invoice.objects.filter(pk=invoice.pk).update(created_at=when)
    return invoice


def test_list_filters_by_status_and_created(api, portal, contact):
    jan = _at(InvoiceFactory(portal=portal), datetime(2026, 1, 10, 12, tzinfo=UTC))
    feb = _at(_open(portal, contact), datetime(2026, 2, 10, 12, tzinfo=UTC))
    assert _ids(api.get("/invoices")) == [str(feb.pk), str(jan.pk)]
    assert _ids(api.get("/invoices", {"status": "open"})) == [str(feb.pk)]
    assert _ids(api.get("/invoices", {"status": "draft"})) == [str(jan.pk)]
    assert _ids(api.get("/invoices", {"created[gte]": "2026-02-01"})) == [str(feb.pk)]
    assert _ids(api.get("/invoices", {"created[lte]": "2026-01-10T12:00:00Z"})) == [str(jan.pk)]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"status": "sent"}, "status"),
        ({"created[gte]": "yesterday"}, "created[gte]"),
        ({"created[lte]": "2026-01-10T12:00:00"}, "created[lte]"),
        ({"limit": 101}, "limit"),
    ],
)
def test_bad_filters_are_a_400(api, params, param):
    assert_error(api.get("/invoices", params), 400, "invalid_request_error", param)


def test_pages_walk_the_invoices(api, portal):
    invoices = [InvoiceFactory(portal=portal) for _ in range(3)]
    first = api.get("/invoices", {"limit": 2}).json()
    assert first["has_more"] is True
    assert [x["id"] for x in first["data"]] == [str(invoices[2].pk), str(invoices[1].pk)]
    rest = api.get("/invoices", {"limit": 2, "starting_after": str(invoices[1].pk)}).json()
    assert [x["id"] for x in rest["data"]] == [str(invoices[0].pk)] and rest["has_more"] is False


@pytest.mark.parametrize("size", [1, 12])
def test_a_list_costs_the_same_queries_whatever_its_size(
    api, portal, size, django_assert_num_queries
):
    for _ in range(size):
        InvoiceFactory(portal=portal)
    api.get("/products")  # the key's first request verifies it
    with django_assert_num_queries(2):  # the invoices, then their lines
        assert len(api.get("/invoices", {"limit": 100}).json()["data"]) == size


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"lines": "P"}, "lines"),
        ({"lines": [None]}, "lines[0]"),
        ({"lines": [_custom(quantity=-1)]}, "lines[0][quantity]"),
        ({"lines": [_custom(quantity=None)]}, "lines[0][quantity]"),
        ({"lines": [_custom(unit_amount=MAX_AMOUNT_CENTS + 1)]}, "lines[0][unit_amount]"),
        ({"lines": [_custom(unit_amount=1.5)]}, "lines[0][unit_amount]"),
        ({"lines": [{"product": "999999", "quantity": 1}]}, "lines[0][product]"),
        ({"lines": [{"quantity": 1, "unit_amount": 5}]}, "lines[0][name]"),
        ({"lines": [_custom(discount_amount=10_001)]}, "lines[0]"),
        ({"lines": [_custom(billing_frequency="monthly")]}, "lines[0][billing_frequency]"),
        ({"contact": "999999"}, "contact"),
        ({"contact": None, "issue_date": None}, "issue_date"),
        ({"memo": None}, "memo"),
        ({"payment_terms": "net_90"}, "payment_terms"),
        ({"payment_terms": "custom"}, "due_date"),
        (
            {"payment_terms": "custom", "due_date": "2026-01-01", "issue_date": "2026-02-01"},
            "due_date",
        ),
        ({"due_date": "2099-01-01"}, "due_date"),
        ({"above_card_limit": 1}, "above_card_limit"),
        ({"number": "INV-9"}, "number"),
    ],
)
def test_invalid_input_is_a_400_naming_the_param_and_creates_nothing(api, body, param):
    assert_error(api.post("/invoices", body), 400, "invalid_request_error", param)
    assert not Invoice.objects.exists()


def test_a_total_above_the_card_limit_needs_above_card_limit(api):
    lines = [_custom(quantity=2, unit_amount=MAX_AMOUNT_CENTS)]
    error = assert_error(api.post("/invoices", {"lines": lines}), 400, "invalid_request_error")
    assert error["code"] == "document_refused" and "card" in error["message"]
    assert not Invoice.objects.exists()
    made = api.post("/invoices", {"lines": lines, "above_card_limit": True})
    assert made.status_code == 200 and made.json()["total"] == 2 * MAX_AMOUNT_CENTS
    # Kept above the limit on a later edit without being told again.
    again = api.post(f"/invoices/{made.json()['id']}", {"memo": "Pay by wire."})
    assert again.status_code == 200, again.content


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"method": "cash"}, "amount"),
        ({"amount": 0, "method": "cash"}, "amount"),
        ({"amount": -100, "method": "cash"}, "amount"),
        ({"amount": None, "method": "cash"}, "amount"),
        ({"amount": MAX_AMOUNT_CENTS + 1, "method": "cash"}, "amount"),
        ({"amount": 100, "method": "card"}, "method"),
        ({"amount": 100, "method": "cash", "paid_on": "last week"}, "paid_on"),
    ],
)
def test_an_invalid_payment_is_a_400_and_records_nothing(api, portal, contact, body, param):
    invoice = _open(portal, contact)
    assert_error(
        api.post(f"/invoices/{invoice.pk}/payments", body), 400, "invalid_request_error", param
    )
    assert not InvoicePayment.objects.exists()


def test_the_pdf_is_the_invoices(api, portal, contact):
    invoice = _open(portal, contact)
    response = api.get(f"/invoices/{invoice.pk}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert invoice.display_number in response["Content-Disposition"]


def test_scopes_are_checked(make_key, api_for, portal, contact):
    invoice = InvoiceFactory(portal=portal, contact=contact)
    reader = api_for(make_key(["invoices:read"]).secret)
    assert reader.get(f"/invoices/{invoice.pk}").status_code == 200
    for action in ("finalize", "send", "void", "mark_uncollectible"):
        assert_error(reader.post(f"/invoices/{invoice.pk}/{action}"), 403, "permission_error")
    payment = {"amount": 100, "method": "cash"}
    assert_error(reader.post(f"/invoices/{invoice.pk}/payments", payment), 403, "permission_error")
    assert_error(reader.post("/invoices", {}), 403, "permission_error")
    assert_error(reader.post(f"/invoices/{invoice.pk}", {"memo": "x"}), 403, "permission_error")
    writer = api_for(make_key(["invoices:write", "quotes:read"]).secret)
    assert_error(writer.get("/invoices"), 403, "permission_error")
    assert_error(writer.get(f"/invoices/{invoice.pk}/pdf"), 403, "permission_error")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DRAFT and Invoice.objects.count() == 1


def test_a_revoked_or_expired_key_is_a_401(make_key, api_for, portal, contact):
    invoice = InvoiceFactory(portal=portal, contact=contact)
    revoked = make_key()
    keys.key_revoke(key=revoked.key)
    error = assert_error(
        api_for(revoked.secret).post(f"/invoices/{invoice.pk}/finalize"),
        401,
        "authentication_error",
    )
    assert error["code"] == "api_key_revoked"
    expiring = make_key(expires_at=hub_now() + dt.timedelta(hours=1))
    with time_machine.travel(hub_now() + dt.timedelta(hours=2)):
        error = assert_error(
            api_for(expiring.secret).post(f"/invoices/{invoice.pk}/finalize"),
            401,
            "authentication_error",
        )
    assert error["code"] == "api_key_expired"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DRAFT


def test_another_portals_invoice_is_a_404(api, other_portal):
    theirs = InvoiceFactory(portal=other_portal)
    for response in (
        api.get(f"/invoices/{theirs.pk}"),
        api.get(f"/invoices/{theirs.pk}/pdf"),
        api.post(f"/invoices/{theirs.pk}", {"memo": "Mine now"}),
        api.post(f"/invoices/{theirs.pk}/finalize"),
        api.post(f"/invoices/{theirs.pk}/send"),
        api.post(f"/invoices/{theirs.pk}/void"),
        api.post(f"/invoices/{theirs.pk}/mark_uncollectible"),
        api.post(f"/invoices/{theirs.pk}/payments", {"amount": 100, "method": "cash"}),
        api.get("/invoices/abc"),
    ):
        assert_error(response, 404, "invalid_request_error")
    theirs.refresh_from_db()
    assert theirs.memo != "Mine now" and theirs.status == InvoiceStatus.DRAFT
    assert api.get("/invoices").json()["data"] == []


def test_a_replayed_create_makes_one_invoice(api, product):
    body = {"lines": [{"product": str(product.pk), "quantity": 1}]}
    headers = {"Idempotency-Key": "invoice-1"}
    first = api.post("/invoices", body, headers=headers)
    again = api.post("/invoices", body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Invoice.objects.count() == 1


def test_a_replayed_payment_records_it_once(api, portal, contact):
    invoice = _open(portal, contact)
    headers = {"Idempotency-Key": "pay-1"}
    body = {"amount": 2_500, "method": "cash"}
    first = api.post(f"/invoices/{invoice.pk}/payments", body, headers=headers)
    again = api.post(f"/invoices/{invoice.pk}/payments", body, headers=headers)
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert InvoicePayment.objects.count() == 1


def test_an_action_posted_with_a_form_body_is_a_415(api, portal, contact):
    invoice = _open(portal, contact)
    # Django's test client sends an empty multipart form: the body is not JSON.
    response = api.client.post(f"/api/v1/invoices/{invoice.pk}/void", headers=api._headers(None))
    error = assert_error(response, 415, "invalid_request_error")
    assert error["code"] == "unsupported_media_type" and "JSON" in error["message"]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN
