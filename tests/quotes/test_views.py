"""The seller's pages: list, builder, detail and transitions."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quotes.models import Quote, QuoteNotice, QuoteStatus
from tests.factories import ContactFactory, ProductFactory, QuoteFactory
from tests.support import line

pytestmark = pytest.mark.django_db


def builder_data(contact, **overrides):
    data = {
        "title": "Website redesign",
        "contact": str(contact.pk) if contact else "",
        "owner": "",
        "expires_on": "2099-01-31",
        "requires_payment": "on",
        "discount_type": "percent",
        "discount_value": "",
        "terms": "Net 30",
        "comments": "",
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


def test_rep_builds_a_quote_from_a_product_and_a_custom_line(rep_client, portal, contact):
    product = ProductFactory(portal=portal, name="Audit", sku="AUD", unit_price=50_000)
    data = builder_data(contact, discount_value="10")
    data.update(line_data(0, product=str(product.pk), quantity="2", tax_rate="8.25", ORDER="2"))
    data.update(
        line_data(
            1,
            name="Rush fee",
            unit_amount="150",
            discount_type="amount",
            discount_value="50",
            ORDER="1",
        )
    )
    response = rep_client.post(reverse("quotes:create"), data)
    quote = Quote.objects.get()
    assert response.status_code == 302 and response["Location"] == quote.get_absolute_url()
    lines = list(quote.lines.all())
    assert [(x.name, x.quantity, x.unit_amount) for x in lines] == [
        ("Rush fee", 1, 15_000),
        ("Audit", 2, 50_000),
    ]
    assert lines[1].sku == "AUD" and lines[1].product == product
    assert quote.discount_percent == Decimal(10)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"quantity": "-2"}, "cannot be negative"),
        ({"discount_value": "150"}, "more than 100%"),
        ({"discount_type": "amount", "discount_value": "200"}, "more than the line amount"),
        ({"tax_rate": "101"}, "between 0% and 100%"),
        ({"tax_rate": "-5"}, "between 0% and 100%"),
        ({"unit_amount": "abc"}, "is not an amount"),
    ],
)
def test_bad_line_input_shows_a_message_and_saves_nothing(rep_client, contact, fields, message):
    data = builder_data(contact, **{"lines-TOTAL_FORMS": "1"})
    data.update(line_data(0, **{"name": "Thing", "unit_amount": "100", **fields}))
    response = rep_client.post(reverse("quotes:create"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Quote.objects.exists()


def test_quote_discount_above_the_amount_is_refused(rep_client, contact):
    data = builder_data(
        contact, discount_type="amount", discount_value="500", **{"lines-TOTAL_FORMS": "1"}
    )
    data.update(line_data(0, name="Thing", unit_amount="100"))
    response = rep_client.post(reverse("quotes:create"), data)
    assert response.status_code == 400
    assert "cannot be more than the quote" in response.content.decode()
    assert not Quote.objects.exists()


def test_new_contact_can_be_created_from_the_builder(rep_client, portal):
    data = builder_data(
        None,
        new_contact_email="fresh@buyer.test",
        new_contact_company="Fresh",
        **{"lines-TOTAL_FORMS": "1"},
    )
    data.update(line_data(0, name="Thing", unit_amount="100"))
    assert rep_client.post(reverse("quotes:create"), data).status_code == 302
    assert Quote.objects.get().contact.email == "fresh@buyer.test"


def test_update_totals_without_javascript_saves_nothing(rep_client, contact):
    data = builder_data(contact, recalculate="1", **{"lines-TOTAL_FORMS": "1"})
    data.update(line_data(0, name="Thing", unit_amount="100", tax_rate="10"))
    response = rep_client.post(reverse("quotes:create"), data)
    assert response.status_code == 200
    assert "$110.00" in response.content.decode()
    assert not Quote.objects.exists()


def test_live_preview_prices_on_the_server(rep_client, contact):
    data = builder_data(contact, title="", discount_type="amount", discount_value="10")
    data.update(line_data(0, name="A", unit_amount="100", quantity="2", tax_rate="10"))
    data.update(line_data(1, name="B", unit_amount="50"))
    response = rep_client.post(reverse("quotes:preview"), data)
    payload = json.loads(response.content)
    assert payload["lines"] == {"lines-0": "$200.00", "lines-1": "$50.00"}
    # 250 - 10 quote discount (8 on A, 2 on B); tax 10% of 192 = 19.20
    assert "$259.20" in payload["html"]
    assert payload["problem"] == ""


def test_billing_admin_reads_quotes_but_cannot_build_them(billing_client, make_quote):
    quote = make_quote()
    assert billing_client.get(reverse("quotes:detail", args=[quote.pk])).status_code == 200
    assert billing_client.get(reverse("quotes:create")).status_code == 403
    assert billing_client.post(reverse("quotes:publish", args=[quote.pk])).status_code == 403


def test_published_quote_cannot_be_edited(rep_client, make_quote):
    quote = make_quote(publish=True)
    response = rep_client.get(reverse("quotes:edit", args=[quote.pk]), follow=True)
    assert "revert it to draft to edit it" in response.content.decode()


def test_publish_revert_clone_from_the_detail_page(rep_client, make_quote):
    quote = make_quote()
    response = rep_client.post(reverse("quotes:publish", args=[quote.pk]), follow=True)
    assert "is published" in response.content.decode()
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.PUBLISHED
    assert quote.public_token in response.content.decode()
    response = rep_client.post(reverse("quotes:publish", args=[quote.pk]), follow=True)
    assert "cannot be published" in response.content.decode()
    rep_client.post(reverse("quotes:revert", args=[quote.pk]))
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT
    response = rep_client.post(reverse("quotes:clone", args=[quote.pk]))
    assert Quote.objects.count() == 2
    assert response["Location"] == Quote.objects.get(number=2).get_absolute_url()


def test_empty_quote_cannot_be_published_from_the_page(rep_client, make_quote):
    quote = make_quote(lines=[])
    response = rep_client.post(reverse("quotes:publish", args=[quote.pk]), follow=True)
    assert "Add at least one line item" in response.content.decode()


def test_list_filters_and_search(rep_client, portal, make_quote, sales_rep, super_admin):
    other_contact = ContactFactory(portal=portal, company="Globex")
    make_quote(title="Alpha")
    make_quote(title="Beta", publish=True)
    make_quote(title="Gamma", contact=other_contact, owner=super_admin)
    index = reverse("quotes:index")

    def titles(params):
        response = rep_client.get(index, params)
        return sorted(q.title for q in response.context["page_obj"].object_list)

    assert titles({}) == ["Alpha", "Beta", "Gamma"]
    assert titles({"status": "published"}) == ["Beta"]
    assert titles({"owner": super_admin.pk}) == ["Gamma"]
    assert titles({"contact": other_contact.pk}) == ["Gamma"]
    assert titles({"q": "globex"}) == ["Gamma"]
    assert titles({"q": "Q-0002"}) == ["Beta"]
    assert titles({"expiring": "1"}) == []
    assert titles({"status": "nonsense", "owner": "x"}) == ["Alpha", "Beta", "Gamma"]


def test_list_shows_only_own_portal(rep_client, make_quote, other_portal):
    make_quote(title="Theirs", target_portal=other_portal)
    response = rep_client.get(reverse("quotes:index"))
    assert "Theirs" not in response.content.decode()
    assert response.context["is_empty"]


def test_list_runs_a_constant_number_of_queries(rep_client, make_quote, portal, sales_rep):
    make_quote()

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert rep_client.get(reverse("quotes:index")).status_code == 200
        return len(ctx)

    count()  # the first request of a session warms per-process caches
    few = count()
    QuoteFactory.create_batch(12, portal=portal, owner=sales_rep)  # each to its own contact
    assert count() == few


def test_notices_are_shown_and_dismissed(rep_client, make_quote, sales_rep, portal):
    from quotes import services

    quote = make_quote(publish=True)
    services.quote_decline(quote=quote, reason="No budget")
    response = rep_client.get(reverse("quotes:index"))
    assert "was declined" in response.content.decode()
    notice = QuoteNotice.objects.get()
    rep_client.post(reverse("quotes:notice_dismiss", args=[notice.pk]))
    assert "was declined" not in rep_client.get(reverse("quotes:index")).content.decode()
    assert rep_client.post(reverse("quotes:notice_dismiss", args=[notice.pk])).status_code == 404


def test_settings_change_the_default_expiry(admin_client_, rep_client, portal):
    from quotes.services import default_expiry, portal_today

    response = admin_client_.post(
        reverse("quotes:settings"), {"default_expiry_days": "14", "default_terms": "Net 15"}
    )
    assert response.status_code == 302
    assert (default_expiry(portal=portal) - portal_today(portal)).days == 14
    form = rep_client.get(reverse("quotes:create")).context["form"]
    assert form.initial["terms"] == "Net 15"
    assert rep_client.get(reverse("quotes:settings")).status_code == 403


def test_staff_pdf_download(rep_client, make_quote):
    quote = make_quote(lines=[line(name="Widget", unit_amount=12_345)])
    response = rep_client.get(reverse("quotes:pdf", args=[quote.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
