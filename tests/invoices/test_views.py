"""The seller's pages: list with totals and filters, editor, detail, transitions, roles."""

import datetime as dt

import pytest
from django.urls import reverse

from invoices import emails, services
from invoices.models import Invoice, InvoicePayment, InvoiceStatus
from quotes import services as quote_services
from tests.factories import ContactFactory, InvoiceFactory, ProductFactory
from tests.support import line

pytestmark = pytest.mark.django_db


def editor_data(contact, **overrides):
    data = {
        "contact": str(contact.pk) if contact else "",
        "issue_date": "2026-04-01",
        "payment_terms": "net_30",
        "due_date": "",
        "memo": "Thank you!",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def line_data(index, **fields):
    base = {"quantity": "1", "discount_type": "percent", "ORDER": str(index + 1)}
    base.update(fields)
    return {f"lines-{index}-{k}": v for k, v in base.items()}


def test_rep_creates_a_draft_from_a_product_and_a_custom_line(rep_client, portal, contact):
    product = ProductFactory(portal=portal, name="Audit", sku="AUD", unit_price=50_000)
    data = editor_data(contact)
    data.update(line_data(0, product=str(product.pk), quantity="2", tax_rate="10"))
    data.update(line_data(1, name="Travel", unit_amount="120.50", discount_value="50", ORDER="2"))
    response = rep_client.post(reverse("invoices:create"), data)
    invoice = Invoice.objects.get()
    assert response.status_code == 302 and response["Location"] == invoice.get_absolute_url()
    assert [(x.name, x.quantity, x.unit_amount) for x in invoice.lines.all()] == [
        ("Audit", 2, 50_000),
        ("Travel", 1, 12_050),
    ]
    assert invoice.due_date == dt.date(2026, 5, 1)
    assert invoice.total == 110_000 + 6_025
    assert invoice.status == InvoiceStatus.DRAFT


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"payment_terms": "custom", "due_date": "2026-03-01"}, "cannot be before the issue date"),
        ({"payment_terms": "custom"}, "Choose the due date."),
        ({"issue_date": "nope"}, "Enter a valid date."),
    ],
)
def test_bad_dates_are_refused_and_nothing_is_saved(rep_client, contact, overrides, message):
    data = editor_data(contact, **overrides)
    data.update(line_data(0, name="Work", unit_amount="100"))
    response = rep_client.post(reverse("invoices:create"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"quantity": "-2"}, "cannot be negative"),
        ({"discount_value": "150"}, "more than 100%"),
        ({"tax_rate": "101"}, "between 0% and 100%"),
        ({"unit_amount": "abc"}, "is not an amount"),
    ],
)
def test_bad_lines_are_refused_with_the_document_editors_messages(
    rep_client, contact, fields, message
):
    data = editor_data(contact)
    data.update(line_data(0, **{"name": "Work", "unit_amount": "100", **fields}))
    response = rep_client.post(reverse("invoices:create"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Invoice.objects.exists()


def test_editor_renders_empty_and_for_a_draft(rep_client, make_invoice):
    assert rep_client.get(reverse("invoices:create")).status_code == 200
    draft = make_invoice()
    page = rep_client.get(reverse("invoices:edit", args=[draft.pk])).content.decode()
    assert 'value="Consulting"' in page and "Tax %" in page
    assert "Billing" not in page.split("<thead>")[1].split("</thead>")[0]


def test_a_finalized_invoice_cannot_be_edited(rep_client, make_invoice, contact):
    invoice = make_invoice(finalize=True)
    response = rep_client.get(reverse("invoices:edit", args=[invoice.pk]), follow=True)
    assert "cannot be edited" in response.content.decode()
    data = editor_data(contact)
    data.update(line_data(0, name="Work", unit_amount="1"))
    rep_client.post(reverse("invoices:edit", args=[invoice.pk]), data)
    invoice.refresh_from_db()
    assert invoice.total == 11_000 and invoice.lines.get().name == "Consulting"


def test_preview_prices_what_is_typed(rep_client, contact):
    data = editor_data(contact, **{"lines-TOTAL_FORMS": "1"})
    data.update(line_data(0, name="Work", unit_amount="100", quantity="3", tax_rate="5"))
    response = rep_client.post(reverse("invoices:preview"), data)
    body = response.json()
    assert body["problem"] == ""
    assert body["lines"] == {"lines-0": "$300.00"}
    assert "$315.00" in body["html"]


def test_list_shows_database_totals_filters_and_search(rep_client, make_invoice, portal):
    other = ContactFactory(portal=portal, first_name="Zed", last_name="Zulu", email="z@z.test")
    open_one = make_invoice(finalize=True)  # 110.00 due in 30 days
    overdue = make_invoice(finalize=True, issue_date=dt.date(2020, 1, 1), contact=other)
    services.invoice_record_payment(
        invoice=overdue, actor=None, method="cash", amount=1_000, paid_on=dt.date(2020, 1, 2)
    )
    make_invoice()  # a draft counts nowhere
    response = rep_client.get(reverse("invoices:index"))
    summary = response.context["summary"]
    assert (summary.outstanding, summary.outstanding_count) == (11_000 + 10_000, 2)
    assert (summary.overdue, summary.overdue_count) == (10_000, 1)
    page = response.content.decode()
    assert "$210.00" in page and "$100.00" in page

    def listed(**params):
        response = rep_client.get(reverse("invoices:index"), params)
        return [i.pk for i in response.context["page_obj"].object_list]

    assert listed(overdue="1") == [overdue.pk]
    assert listed(status="open") == [open_one.pk]
    assert listed(q="zulu") == [overdue.pk]
    assert listed(q="z@z.test") == [overdue.pk]
    assert listed(q=open_one.display_number) == [open_one.pk]
    assert listed(due_until="2020-12-31") == [overdue.pk]
    assert listed(contact=str(other.pk)) == [overdue.pk]
    assert listed(due_from="not-a-date") != []  # bad filters are ignored, never a 500


def test_list_paginates(rep_client, portal):
    InvoiceFactory.create_batch(26, portal=portal)
    response = rep_client.get(reverse("invoices:index"), {"page": "2"})
    assert len(response.context["page_obj"].object_list) == 1
    assert "Showing 26\u201326 of 26" in response.content.decode()


def test_detail_shows_the_document_payments_and_timeline(admin_client_, make_invoice):
    invoice = make_invoice(finalize=True)
    services.invoice_record_payment(
        invoice=invoice, actor=None, method="cheque", amount=2_500, paid_on=invoice.issue_date
    )
    page = admin_client_.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()
    assert invoice.display_number in page and "Consulting" in page
    assert "Partially paid" in page and "$25.00" in page and "Cheque" in page
    assert emails.public_url(invoice) in page
    assert "Record a payment received" in page and "Mark uncollectible" in page


def test_sales_rep_cannot_record_payments_void_or_write_off(rep_client, make_invoice):
    invoice = make_invoice(finalize=True)
    page = rep_client.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()
    assert "Record a payment received" not in page and "Void" not in page
    data = {"method": "cash", "amount": "10", "paid_on": invoice.issue_date.isoformat()}
    assert (
        rep_client.post(reverse("invoices:payment_record", args=[invoice.pk]), data).status_code
        == 403
    )
    assert rep_client.post(reverse("invoices:void", args=[invoice.pk])).status_code == 403
    assert rep_client.post(reverse("invoices:uncollectible", args=[invoice.pk])).status_code == 403
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and not InvoicePayment.objects.exists()


def test_billing_admin_records_and_deletes_a_payment(billing_client, make_invoice):
    invoice = make_invoice(finalize=True)
    url = reverse("invoices:payment_record", args=[invoice.pk])
    too_much = {"method": "cash", "amount": "110.01", "paid_on": invoice.issue_date.isoformat()}
    response = billing_client.post(url, too_much, follow=True)
    assert "more than the amount due ($110.00)" in response.content.decode()
    response = billing_client.post(url, {**too_much, "amount": "0"}, follow=True)
    assert "more than zero" in response.content.decode()
    assert not InvoicePayment.objects.exists()
    billing_client.post(url, {**too_much, "amount": "110", "reference": "R-9"})
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    payment = InvoicePayment.objects.get()
    billing_client.post(
        reverse("invoices:payment_delete", args=[invoice.pk, payment.pk]), {"confirm": "delete"}
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount_paid == 0


def test_finalize_send_duplicate_and_void_through_the_pages(
    admin_client_, make_invoice, django_capture_on_commit_callbacks
):
    draft = make_invoice()
    admin_client_.post(reverse("invoices:finalize", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.OPEN and draft.number == 1
    with django_capture_on_commit_callbacks(execute=True):
        admin_client_.post(reverse("invoices:send", args=[draft.pk]), {"message": "Hi"})
    draft.refresh_from_db()
    assert draft.sent_at is not None
    response = admin_client_.post(reverse("invoices:duplicate", args=[draft.pk]))
    copy = Invoice.objects.exclude(pk=draft.pk).get()
    assert response["Location"] == copy.get_absolute_url()
    response = admin_client_.post(reverse("invoices:void", args=[draft.pk]), {"reason": "x"})
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.VOID
    response = admin_client_.post(reverse("invoices:void", args=[draft.pk]), follow=True)
    assert "is void: it cannot be voided" in response.content.decode()


def test_convert_to_invoice_from_the_quote_page(rep_client, portal, contact, sales_rep):
    quote = quote_services.quote_create(
        portal=portal,
        actor=None,
        title="Audit",
        contact=contact,
        expires_on=quote_services.default_expiry(portal=portal),
        lines=[line()],
    )
    quote_services.quote_publish(quote=quote, actor=None)
    url = reverse("invoices:from_quote", args=[quote.pk])
    response = rep_client.post(url, follow=True)
    assert "only an accepted or paid quote" in response.content.decode()
    quote_services.quote_accept(
        quote=quote, signed_name="Bea Buyer", agreed_to_terms=True, ip=None, user_agent=""
    )
    page = rep_client.get(quote.get_absolute_url()).content.decode()
    assert "Convert to invoice" in page
    response = rep_client.post(url)
    invoice = Invoice.objects.get()
    assert response["Location"] == invoice.get_absolute_url()
    page = rep_client.get(quote.get_absolute_url()).content.decode()
    assert "Convert to invoice" not in page and invoice.get_absolute_url() in page


def test_settings_are_for_super_admins(admin_client_, billing_client, portal):
    url = reverse("invoices:settings")
    assert billing_client.get(url).status_code == 403
    data = {
        "number_prefix": "NW-",
        "default_memo": "Bank: 123",
        "allow_partial_payments": "on",
        "remind_days_before": "5",
        "remind_on_due_date": "on",
        "remind_every_days_after": "",
        "remind_max_after": "2",
    }
    assert admin_client_.post(url, data).status_code == 302
    settings = services.invoice_settings_for(portal=portal)
    assert (settings.prefix, settings.allow_partial_payments, settings.remind_days_before) == (
        "NW-",
        True,
        5,
    )
    assert settings.remind_every_days_after is None
    response = admin_client_.post(url, {**data, "number_prefix": "IN V"})
    assert "at most 12 letters" in response.content.decode()


def test_every_role_reads_invoices_and_anonymous_users_sign_in(client, billing_client, rep_client):
    url = reverse("invoices:index")
    assert billing_client.get(url).status_code == 200
    assert rep_client.get(url).status_code == 200
    assert client.get(url).status_code == 302


def test_draft_invoice_line_is_shown_on_its_page(rep_client, make_invoice):
    invoice = make_invoice(lines=[line(name="Cleanup", unit_amount=5_000)])
    page = rep_client.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()
    assert "Cleanup" in page and "Finalize" in page and "Draft invoice" in page
