"""/api/v1/quotes: the quote builder's services over the API."""

import datetime as dt
from datetime import UTC, datetime

import pytest
import time_machine

from api import services as keys
from commerce.clock import hub_now
from commerce.events.models import Event
from commerce.events.services import snapshot
from commerce.money import MAX_AMOUNT_CENTS
from quotes.models import Quote, QuoteEvent, QuoteStatus
from quotes.selectors import quote_search
from tests.factories import ContactFactory, ProductFactory, QuoteFactory

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


def _snapshot(quote):
    return snapshot(quote_search(portal=quote.portal).prefetch_related("lines").get(pk=quote.pk))[1]


def _ids(response):
    assert response.status_code == 200, response.content
    return [q["id"] for q in response.json()["data"]]


def _custom(**extra):
    return {"name": "Setup", "quantity": 1, "unit_amount": 10_000, **extra}


def test_create_retrieve_update_and_publish_a_quote(api, portal, contact, product):
    created = api.post(
        "/quotes",
        {
            "title": "Growth for BrightPath",
            "contact": str(contact.pk),
            "lines": [
                {"product": str(product.pk), "quantity": 2, "term_periods": 12},
                _custom(tax_rate="10"),
            ],
        },
    )
    assert created.status_code == 200, created.content
    quote = Quote.objects.get(portal=portal)
    body = created.json()
    assert body == _snapshot(quote)
    assert body["status"] == "draft" and body["number"] == quote.display_number
    assert body["contact"] == str(contact.pk)
    assert [(line["name"], line["sku"], line["billing_frequency"]) for line in body["lines"]] == [
        ("Growth plan", "GROW", "monthly"),
        ("Setup", "", "one_time"),
    ]
    assert body["lines"][0]["term_periods"] == 12
    assert (body["subtotal"], body["tax"], body["total"]) == (39_800, 1_000, 40_800)
    assert QuoteEvent.objects.get(quote=quote).kind == "created"

    assert api.get(f"/quotes/{quote.pk}").json() == body

    renamed = api.post(f"/quotes/{quote.pk}", {"title": "Growth, revised", "discount_percent": 10})
    assert renamed.status_code == 200, renamed.content
    assert renamed.json()["title"] == "Growth, revised"
    assert renamed.json()["lines"] == body["lines"]  # no `lines`: the lines are kept
    assert renamed.json()["discount"] == 3_980

    relined = api.post(f"/quotes/{quote.pk}", {"lines": [_custom(unit_amount=5_000)]})
    assert [line["unit_amount"] for line in relined.json()["lines"]] == [5_000]
    quote.refresh_from_db()
    assert quote.discount_percent == 10 and quote.title == "Growth, revised"

    published = api.post(f"/quotes/{quote.pk}/publish")
    assert published.status_code == 200, published.content
    assert published.json()["status"] == "published"
    assert published.json()["status_transitions"]["published"].endswith("+00:00")
    assert published.json() == _snapshot(quote)
    assert Event.objects.filter(type="quote.published", object_id=str(quote.pk)).count() == 1


def test_defaults_are_the_builders(api, portal):
    from quotes import services

    services.quote_settings_update(portal=portal, default_expiry_days=14, default_terms="Net 30.")
    body = api.post("/quotes", {"title": "Empty"}).json()
    quote = Quote.objects.get(pk=body["id"])
    assert quote.terms == "Net 30." and quote.requires_payment is True
    assert body["expires_on"] == services.default_expiry(portal=portal).isoformat()
    assert body["lines"] == [] and body["contact"] is None


def test_publishing_through_the_api_names_the_key_on_the_timeline(
    make_key, api_for, portal, contact
):
    key = make_key(name="CRM sync")
    quote = QuoteFactory(portal=portal, contact=contact)
    assert api_for(key.secret).post(f"/quotes/{quote.pk}/publish").status_code == 200
    entry = QuoteEvent.objects.get(quote=quote, kind=QuoteEvent.Kind.PUBLISHED)
    assert entry.actor is None
    assert entry.via == f"API key “CRM sync” ({key.key.prefix}…)"


def test_a_transition_the_status_does_not_allow_is_a_400_invalid_status(api, portal, contact):
    quote = QuoteFactory(portal=portal, contact=contact)
    assert api.post(f"/quotes/{quote.pk}/publish").status_code == 200
    before = _snapshot(quote)
    for response in (
        api.post(f"/quotes/{quote.pk}/publish"),
        api.post(f"/quotes/{quote.pk}", {"title": "Changed after publishing"}),
    ):
        error = assert_error(response, 400, "invalid_request_error")
        assert error["code"] == "invalid_status"
        assert "published" in error["message"]
    assert _snapshot(quote) == before
    assert Event.objects.filter(type="quote.published").count() == 1


def test_publishing_what_cannot_be_published_is_a_400_saying_why(api, portal):
    no_contact = QuoteFactory(portal=portal, contact=None)
    error = assert_error(api.post(f"/quotes/{no_contact.pk}/publish"), 400, "invalid_request_error")
    assert error["code"] == "document_refused" and "contact" in error["message"]
    no_lines = QuoteFactory(portal=portal, line=None)
    error = assert_error(api.post(f"/quotes/{no_lines.pk}/publish"), 400, "invalid_request_error")
    assert "line" in error["message"]
    assert not Quote.objects.filter(status=QuoteStatus.PUBLISHED).exists()


def _at(quote, when):
    Quote.objects.filter(pk=quote.pk).update(created_at=when)
    return quote


def test_list_filters_by_status_and_created(api, portal, contact):
    jan = _at(QuoteFactory(portal=portal), datetime(2026, 1, 10, 12, tzinfo=UTC))
    feb = _at(QuoteFactory(portal=portal, contact=contact), datetime(2026, 2, 10, 12, tzinfo=UTC))
    api.post(f"/quotes/{feb.pk}/publish")
    assert _ids(api.get("/quotes")) == [str(feb.pk), str(jan.pk)]
    assert _ids(api.get("/quotes", {"status": "published"})) == [str(feb.pk)]
    assert _ids(api.get("/quotes", {"status": "draft"})) == [str(jan.pk)]
    assert _ids(api.get("/quotes", {"created[gte]": "2026-02-01"})) == [str(feb.pk)]
    assert _ids(api.get("/quotes", {"created[lte]": "2026-01-10T12:00:00Z"})) == [str(jan.pk)]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"status": "sent"}, "status"),
        ({"created[gte]": "yesterday"}, "created[gte]"),
        ({"created[lte]": "2026-01-10T12:00:00"}, "created[lte]"),
        ({"limit": 0}, "limit"),
        ({"starting_after": "x"}, "starting_after"),
    ],
)
def test_bad_filters_are_a_400(api, params, param):
    assert_error(api.get("/quotes", params), 400, "invalid_request_error", param)


def test_pages_walk_the_quotes(api, portal):
    quotes = [QuoteFactory(portal=portal) for _ in range(3)]
    first = api.get("/quotes", {"limit": 2}).json()
    assert first["has_more"] is True
    assert [x["id"] for x in first["data"]] == [str(quotes[2].pk), str(quotes[1].pk)]
    rest = api.get("/quotes", {"limit": 2, "starting_after": str(quotes[1].pk)}).json()
    assert [x["id"] for x in rest["data"]] == [str(quotes[0].pk)] and rest["has_more"] is False


@pytest.mark.parametrize("size", [1, 12])
def test_a_list_costs_the_same_queries_whatever_its_size(
    api, portal, size, django_assert_num_queries
):
    for _ in range(size):
        QuoteFactory(portal=portal)
    api.get("/products")  # the key's first request verifies it
    with django_assert_num_queries(2):  # the quotes, then their lines
        assert len(api.get("/quotes", {"limit": 100}).json()["data"]) == size


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "title"),
        ({"title": None}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "Q", "lines": "P"}, "lines"),
        ({"title": "Q", "lines": [None]}, "lines[0]"),
        ({"title": "Q", "lines": [_custom(quantity=-1)]}, "lines[0][quantity]"),
        ({"title": "Q", "lines": [_custom(quantity=0)]}, "lines[0][quantity]"),
        ({"title": "Q", "lines": [_custom(quantity=None)]}, "lines[0][quantity]"),
        ({"title": "Q", "lines": [_custom(quantity="2")]}, "lines[0][quantity]"),
        ({"title": "Q", "lines": [_custom(unit_amount=-5)]}, "lines[0][unit_amount]"),
        (
            {"title": "Q", "lines": [_custom(unit_amount=MAX_AMOUNT_CENTS + 1)]},
            "lines[0][unit_amount]",
        ),
        ({"title": "Q", "lines": [{"product": "999999", "quantity": 1}]}, "lines[0][product]"),
        ({"title": "Q", "lines": [{"product": "abc", "quantity": 1}]}, "lines[0][product]"),
        ({"title": "Q", "lines": [{"quantity": 1, "unit_amount": 5}]}, "lines[0][name]"),
        ({"title": "Q", "lines": [{"quantity": 1, "name": "X"}]}, "lines[0][unit_amount]"),
        (
            {"title": "Q", "lines": [_custom(discount_percent=5, discount_amount=1)]},
            "lines[0][discount_amount]",
        ),
        ({"title": "Q", "lines": [_custom(discount_amount=10_001)]}, "lines[0]"),
        ({"title": "Q", "lines": [_custom(discount_percent=101)]}, "lines[0][discount_percent]"),
        ({"title": "Q", "lines": [_custom(tax_rate=-1)]}, "lines[0][tax_rate]"),
        ({"title": "Q", "lines": [_custom(term_periods=3)]}, "lines[0][term_periods]"),
        (
            {"title": "Q", "lines": [_custom(billing_frequency="daily")]},
            "lines[0][billing_frequency]",
        ),
        ({"title": "Q", "lines": [_custom(colour="red")]}, "lines[0][colour]"),
        ({"title": "Q", "contact": "999999"}, "contact"),
        ({"title": "Q", "expires_on": "soon"}, "expires_on"),
        ({"title": "Q", "expires_on": None}, "expires_on"),
        ({"title": "Q", "requires_payment": "yes"}, "requires_payment"),
        ({"title": "Q", "discount_percent": 5, "discount_amount": 100}, "discount_amount"),
        ({"title": "Q", "owner": "1"}, "owner"),
    ],
)
def test_invalid_input_is_a_400_naming_the_param_and_creates_nothing(api, body, param):
    assert_error(api.post("/quotes", body), 400, "invalid_request_error", param)
    assert not Quote.objects.exists()


def test_totals_too_large_are_refused_by_the_service(api):
    huge = _custom(quantity=100_000, unit_amount=MAX_AMOUNT_CENTS)
    error = assert_error(
        api.post("/quotes", {"title": "Q", "lines": [huge, huge], "requires_payment": False}),
        400,
        "invalid_request_error",
    )
    assert error["code"] == "document_refused" and "at most" in error["message"]
    over_card = _custom(quantity=2, unit_amount=MAX_AMOUNT_CENTS)
    error = assert_error(
        api.post("/quotes", {"title": "Q", "lines": [over_card]}), 400, "invalid_request_error"
    )
    assert "card" in error["message"]
    assert not Quote.objects.exists()
    # Paid another way, the same lines are a fine quote.
    fine = api.post("/quotes", {"title": "Q", "lines": [over_card], "requires_payment": False})
    assert fine.status_code == 200, fine.content


def test_an_archived_or_foreign_product_or_contact_is_refused(api, portal, other_portal):
    archived = ProductFactory(portal=portal, archived=True)
    theirs = ProductFactory(portal=other_portal)
    for product in (archived, theirs):
        body = {"title": "Q", "lines": [{"product": str(product.pk), "quantity": 1}]}
        assert_error(api.post("/quotes", body), 400, "invalid_request_error", "lines[0][product]")
    their_contact = ContactFactory(portal=other_portal)
    assert_error(
        api.post("/quotes", {"title": "Q", "contact": str(their_contact.pk)}),
        400,
        "invalid_request_error",
        "contact",
    )
    assert not Quote.objects.exists()


def test_an_invalid_update_changes_nothing(api, portal):
    quote = QuoteFactory(portal=portal)
    before = _snapshot(quote)
    for body, param in (
        ({"title": None}, "title"),
        ({"lines": None}, "lines"),
        ({"expires_on": None}, "expires_on"),
        ({"lines": [_custom(quantity=-3)]}, "lines[0][quantity]"),
        ({"discount_amount": 20_000}, None),  # more than the lines
    ):
        response = api.post(f"/quotes/{quote.pk}", body)
        assert_error(response, 400, "invalid_request_error", param)
    assert _snapshot(quote) == before


def test_the_contact_and_discount_can_be_cleared(api, portal, contact):
    quote = QuoteFactory(portal=portal, contact=contact)
    api.post(f"/quotes/{quote.pk}", {"discount_amount": 500})
    body = api.post(f"/quotes/{quote.pk}", {"contact": None, "discount_percent": 50}).json()
    assert body["contact"] is None and body["discount"] == 5_000
    quote.refresh_from_db()
    assert quote.discount_amount is None and quote.discount_percent == 50
    body = api.post(f"/quotes/{quote.pk}", {"discount_percent": None}).json()
    assert body["discount"] == 0


def test_the_pdf_is_the_quotes(api, portal):
    quote = QuoteFactory(portal=portal)
    response = api.get(f"/quotes/{quote.pk}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert quote.display_number in response["Content-Disposition"]


def test_scopes_are_checked(make_key, api_for, portal):
    quote = QuoteFactory(portal=portal)
    reader = api_for(make_key(["quotes:read"]).secret)
    assert reader.get(f"/quotes/{quote.pk}").status_code == 200
    assert reader.get(f"/quotes/{quote.pk}/pdf").status_code == 200
    for response in (
        reader.post("/quotes", {"title": "Mine"}),
        reader.post(f"/quotes/{quote.pk}", {"title": "Changed"}),
        reader.post(f"/quotes/{quote.pk}/publish"),
    ):
        assert_error(response, 403, "permission_error")
    writer = api_for(make_key(["quotes:write", "invoices:read"]).secret)
    assert_error(writer.get("/quotes"), 403, "permission_error")
    assert_error(writer.get(f"/quotes/{quote.pk}"), 403, "permission_error")
    assert_error(writer.get(f"/quotes/{quote.pk}/pdf"), 403, "permission_error")
    assert Quote.objects.get().status == QuoteStatus.DRAFT and Quote.objects.count() == 1


def test_a_revoked_or_expired_key_is_a_401(make_key, api_for, portal):
    quote = QuoteFactory(portal=portal)
    revoked = make_key()
    keys.key_revoke(key=revoked.key)
    error = assert_error(
        api_for(revoked.secret).post(f"/quotes/{quote.pk}/publish"), 401, "authentication_error"
    )
    assert error["code"] == "api_key_revoked"
    expiring = make_key(expires_at=hub_now() + dt.timedelta(hours=1))
    with time_machine.travel(hub_now() + dt.timedelta(hours=2)):
        error = assert_error(api_for(expiring.secret).get("/quotes"), 401, "authentication_error")
    assert error["code"] == "api_key_expired"
    assert Quote.objects.get().status == QuoteStatus.DRAFT


def test_another_portals_quote_is_a_404(api, other_portal):
    theirs = QuoteFactory(portal=other_portal)
    for response in (
        api.get(f"/quotes/{theirs.pk}"),
        api.get(f"/quotes/{theirs.pk}/pdf"),
        api.post(f"/quotes/{theirs.pk}", {"title": "Mine now"}),
        api.post(f"/quotes/{theirs.pk}/publish"),
        api.get("/quotes/abc"),
        api.get("/quotes/abc/pdf"),
        api.get("/quotes/99999999999999999999999"),
    ):
        assert_error(response, 404, "invalid_request_error")
    theirs.refresh_from_db()
    assert theirs.title != "Mine now" and theirs.status == QuoteStatus.DRAFT
    assert api.get("/quotes").json()["data"] == []


def test_a_replayed_create_makes_one_quote(api, product):
    body = {"title": "Once", "lines": [{"product": str(product.pk), "quantity": 1}]}
    headers = {"Idempotency-Key": "quote-1"}
    first = api.post("/quotes", body, headers=headers)
    again = api.post("/quotes", body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Quote.objects.count() == 1
    other = api.post("/quotes", {**body, "title": "Twice"}, headers=headers)
    assert_error(other, 409, "idempotency_error")
    assert Quote.objects.count() == 1


def test_a_decimal_bound_is_in_the_message(api):
    error = assert_error(
        api.post("/quotes", {"title": "Q", "lines": [_custom(discount_percent=150)]}),
        400,
        "invalid_request_error",
        "lines[0][discount_percent]",
    )
    assert error["message"] == "Invalid lines[0][discount_percent]: must be at most 100."
