"""Contacts: form rules, services, pages, permissions and tenancy."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commerce.customers.forms import ContactForm
from commerce.customers.models import Contact
from commerce.customers.services import contact_create, contact_update
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def contact_post(**overrides):
    data = {
        "first_name": "Maya",
        "last_name": "Okafor",
        "email": "Maya@BrightPath.io ",
        "company": "BrightPath Logistics",
        "phone": "+1 415 555 0101",
        "billing_line1": "100 Market Street",
        "billing_line2": "",
        "billing_city": "San Francisco",
        "billing_state": "CA",
        "billing_postal_code": "94107",
        "billing_country": "US",
        "same_as_billing": "on",
        "shipping_line1": "",
        "shipping_line2": "",
        "shipping_city": "",
        "shipping_state": "",
        "shipping_postal_code": "",
        "shipping_country": "US",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def emails(response):
    return [c.email for c in response.context["page_obj"].object_list]


# --- Form ----------------------------------------------------------------------------


def test_form_stores_email_trimmed_and_lower_cased(portal):
    form = ContactForm(contact_post(), portal=portal)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["email"] == "maya@brightpath.io"


def test_duplicate_email_in_the_portal_is_refused_with_a_link_to_the_contact(portal):
    existing = ContactFactory(
        portal=portal, email="maya@brightpath.io", first_name="Maya", last_name="O"
    )
    form = ContactForm(contact_post(email="MAYA@brightpath.io"), portal=portal)
    assert not form.is_valid()
    [error] = form.errors["email"]
    assert error.startswith("A contact with this e-mail already exists in this portal.")
    assert f'<a href="/contacts/{existing.pk}/">Open Maya O</a>' in error


def test_same_email_in_another_portal_is_fine(portal, other_portal):
    ContactFactory(portal=other_portal, email="maya@brightpath.io")
    assert ContactForm(contact_post(), portal=portal).is_valid()


def test_editing_a_contact_keeps_its_own_email(portal):
    contact = ContactFactory(portal=portal, email="maya@brightpath.io")
    form = ContactForm(contact_post(), portal=portal, instance=contact)
    assert form.is_valid(), form.errors


@pytest.mark.parametrize("email", ["", "not-an-email"])
def test_email_is_required_and_checked(portal, email):
    form = ContactForm(contact_post(email=email), portal=portal)
    assert not form.is_valid()
    assert "email" in form.errors


def test_phone_is_optional_but_must_look_like_a_phone_number(portal):
    assert ContactForm(contact_post(phone=""), portal=portal).is_valid()
    assert ContactForm(contact_post(phone="(415) 555-0101 ext. 12"), portal=portal).is_valid()
    form = ContactForm(contact_post(phone="call me"), portal=portal)
    assert not form.is_valid()
    assert form.errors["phone"] == ["Enter a phone number, like +1 415 555 0101."]


def test_same_as_billing_copies_the_billing_address_to_shipping(portal):
    form = ContactForm(contact_post(shipping_line1="ignored", shipping_country="CA"), portal=portal)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["shipping_line1"] == "100 Market Street"
    assert form.cleaned_data["shipping_city"] == "San Francisco"
    assert form.cleaned_data["shipping_country"] == "US"


def test_separate_shipping_address_is_kept_when_not_same_as_billing(portal):
    form = ContactForm(
        contact_post(same_as_billing=None, shipping_line1="1 Dock Road", shipping_country="CA"),
        portal=portal,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["shipping_line1"] == "1 Dock Road"
    assert form.cleaned_data["shipping_country"] == "CA"


def test_new_contact_form_defaults_to_us_and_same_as_billing(portal):
    form = ContactForm(portal=portal)
    assert form["billing_country"].value() == "US"
    assert form["shipping_country"].value() == "US"
    assert form["same_as_billing"].value() is True


def test_edit_form_unticks_same_as_billing_when_addresses_differ(portal):
    contact = ContactFactory(portal=portal, billing_city="Austin", shipping_city="Dallas")
    assert ContactForm(portal=portal, instance=contact)["same_as_billing"].value() is False


def test_unknown_country_code_is_refused(portal):
    form = ContactForm(contact_post(billing_country="XX"), portal=portal)
    assert not form.is_valid()
    assert "billing_country" in form.errors


# --- Services ------------------------------------------------------------------------


def test_contact_create_normalizes_the_email(portal):
    contact = contact_create(portal=portal, email="  Buyer@Example.COM ", first_name="B")
    contact.refresh_from_db()
    assert contact.email == "buyer@example.com"
    assert contact.portal == portal


def test_contact_create_with_a_taken_email_is_a_validation_error(portal):
    ContactFactory(portal=portal, email="buyer@example.com")
    with pytest.raises(ValidationError) as exc:
        contact_create(portal=portal, email="BUYER@example.com")
    assert exc.value.message_dict["email"] == [
        "A contact with this e-mail already exists in this portal."
    ]


def test_database_enforces_email_uniqueness_per_portal_ignoring_case(portal):
    Contact.objects.create(portal=portal, email="a@example.com")
    with pytest.raises(IntegrityError):
        Contact.objects.create(portal=portal, email="A@EXAMPLE.COM")


def test_contact_create_refuses_unknown_fields(portal):
    with pytest.raises(TypeError):
        contact_create(portal=portal, email="a@example.com", stripe_customer_id="cus_1")


def test_contact_update_changes_fields(portal):
    contact = ContactFactory(portal=portal, email="old@example.com")
    contact_update(
        contact=contact, email="New@Example.com", company="New Co", billing_city="Austin"
    )
    contact.refresh_from_db()
    assert (contact.email, contact.company, contact.billing_city) == (
        "new@example.com",
        "New Co",
        "Austin",
    )


# --- Pages ---------------------------------------------------------------------------


def test_list_shows_contacts_of_the_portal_only_newest_first(portal, other_portal, billing_client):
    ContactFactory(portal=portal, email="first@example.com")
    ContactFactory(portal=portal, email="second@example.com", company="Harborline Foods")
    ContactFactory(portal=other_portal, email="theirs@example.com")
    response = billing_client.get(reverse("customers:list"))
    assert response.status_code == 200
    assert emails(response) == ["second@example.com", "first@example.com"]
    assert "Harborline Foods" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("maya", ["maya@brightpath.io"]),
        ("BRIGHTPATH", ["maya@brightpath.io"]),
        ("harborline", ["dan@harborline.com"]),
        ("maya okafor", ["maya@brightpath.io"]),
        ("reyes", ["dan@harborline.com"]),
    ],
)
def test_search_matches_name_email_and_company(portal, rep_client, query, expected):
    ContactFactory(
        portal=portal,
        email="maya@brightpath.io",
        first_name="Maya",
        last_name="Okafor",
        company="BrightPath",
    )
    ContactFactory(
        portal=portal,
        email="dan@harborline.com",
        first_name="Daniel",
        last_name="Reyes",
        company="Harborline Foods",
    )
    assert emails(rep_client.get(reverse("customers:list"), {"q": query})) == expected


def test_search_without_results_says_so_and_offers_to_clear_it(portal, rep_client):
    ContactFactory(portal=portal)
    html = rep_client.get(reverse("customers:list"), {"q": "zzz"}).content.decode()
    assert "No contacts match “zzz”" in html
    assert f'href="{reverse("customers:list")}">Clear search</a>' in html


def test_empty_contact_list_explains_and_offers_to_add_one(rep_client):
    html = rep_client.get(reverse("customers:list")).content.decode()
    assert "No contacts yet" in html
    assert f'href="{reverse("customers:create")}">Add a contact</a>' in html


def test_list_paginates_25_per_page_and_keeps_the_search(portal, rep_client):
    ContactFactory.create_batch(30, portal=portal, company="Acme Buyers")
    first = rep_client.get(reverse("customers:list"), {"q": "acme"})
    assert len(emails(first)) == 25
    assert "?q=acme&amp;page=2" in first.content.decode()
    assert len(emails(rep_client.get(reverse("customers:list"), {"q": "acme", "page": 2}))) == 5


def test_list_runs_a_constant_number_of_queries(portal, rep_client, django_assert_max_num_queries):
    ContactFactory(portal=portal)
    with CaptureQueriesContext(connection) as one_contact:
        rep_client.get(reverse("customers:list"))
    ContactFactory.create_batch(40, portal=portal)
    with django_assert_max_num_queries(len(one_contact.captured_queries)):
        response = rep_client.get(reverse("customers:list"))
    assert len(emails(response)) == 25


@pytest.mark.parametrize("client_fixture", ["admin_client_", "billing_client", "rep_client"])
def test_every_role_creates_contacts(portal, request, client_fixture):
    client = request.getfixturevalue(client_fixture)
    response = client.post(reverse("customers:create"), contact_post())
    contact = Contact.objects.get(portal=portal)
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[contact.pk])
    assert contact.email == "maya@brightpath.io"
    assert contact.shipping_line1 == "100 Market Street"


def test_create_page_shows_the_duplicate_email_error_with_a_link(portal, rep_client):
    existing = ContactFactory(portal=portal, email="maya@brightpath.io")
    response = rep_client.post(reverse("customers:create"), contact_post())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please correct the highlighted fields below." in html
    assert "A contact with this e-mail already exists in this portal." in html
    assert f'href="{reverse("customers:detail", args=[existing.pk])}"' in html
    assert Contact.objects.filter(portal=portal).count() == 1


def test_detail_shows_billing_and_shipping_addresses(portal, rep_client):
    contact = ContactFactory(
        portal=portal,
        first_name="Tom",
        last_name="Becker",
        billing_line1="1 Main St",
        billing_city="Chicago",
        billing_state="IL",
        billing_postal_code="60607",
        shipping_line1="9 Dock Rd",
        shipping_city="Toronto",
        shipping_country="CA",
    )
    html = rep_client.get(reverse("customers:detail", args=[contact.pk])).content.decode()
    assert "1 Main St<br>Chicago, IL 60607<br>United States" in html
    assert "9 Dock Rd<br>Toronto<br>Canada" in html
    assert reverse("customers:edit", args=[contact.pk]) in html


def test_detail_says_when_shipping_is_the_billing_address(portal, rep_client):
    contact = ContactFactory(portal=portal, billing_line1="1 Main St", shipping_line1="1 Main St")
    html = rep_client.get(reverse("customers:detail", args=[contact.pk])).content.decode()
    assert "Same as billing address" in html


def test_detail_without_address_says_so(portal, rep_client):
    contact = ContactFactory(portal=portal)
    html = rep_client.get(reverse("customers:detail", args=[contact.pk])).content.decode()
    assert "No billing address yet." in html


def test_edit_saves_changes(portal, rep_client):
    contact = ContactFactory(portal=portal, email="old@example.com")
    url = reverse("customers:edit", args=[contact.pk])
    assert rep_client.get(url).status_code == 200
    response = rep_client.post(url, contact_post(email="new@example.com", company="Renamed"))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.email, contact.company) == ("new@example.com", "Renamed")


def test_invalid_edit_keeps_the_saved_name_in_the_page_header(portal, rep_client):
    contact = ContactFactory(portal=portal, first_name="Saved", last_name="Name")
    response = rep_client.post(
        reverse("customers:edit", args=[contact.pk]), contact_post(first_name="Typed", email="bad")
    )
    assert response.status_code == 200
    assert response.context["contact"].first_name == "Saved"
    contact.refresh_from_db()
    assert contact.first_name == "Saved"


@pytest.mark.parametrize(
    ("url_name", "method"),
    [("customers:detail", "get"), ("customers:edit", "get"), ("customers:edit", "post")],
)
def test_another_portals_contact_is_not_found(other_portal, rep_client, url_name, method):
    foreign = ContactFactory(portal=other_portal, email="theirs@example.com")
    url = reverse(url_name, args=[foreign.pk])
    response = getattr(rep_client, method)(url, contact_post() if method == "post" else None)
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.email == "theirs@example.com"


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("customers:create"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
