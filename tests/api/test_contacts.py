"""/api/v1/contacts: validated by the contact form, written by the contact services."""

import pytest

from commerce.customers.events import contact_snapshot
from commerce.customers.models import Contact
from tests.factories import ContactFactory

from .conftest import assert_error

pytestmark = pytest.mark.django_db


def test_create_retrieve_and_update_a_contact(api, portal):
    created = api.post(
        "/contacts",
        {
            "email": "Maya@BrightPath.example",
            "first_name": "Maya",
            "billing_address": {"line1": "1 Main St", "city": "Austin", "country": "US"},
        },
    )
    assert created.status_code == 200
    contact = Contact.objects.get(portal=portal)
    assert contact.email == "maya@brightpath.example"
    assert created.json() == contact_snapshot(contact)
    assert api.get(f"/contacts/{contact.pk}").json() == created.json()

    updated = api.post(
        f"/contacts/{contact.pk}", {"company": "BrightPath", "shipping_address": {"city": "Dallas"}}
    )
    contact.refresh_from_db()
    assert contact.company == "BrightPath" and contact.shipping_city == "Dallas"
    assert contact.first_name == "Maya"
    assert updated.json() == contact_snapshot(contact)


def test_search_by_email_ignores_case(api, portal):
    wanted = ContactFactory(portal=portal, email="a@example.org")
    ContactFactory(portal=portal, email="b@example.org")
    data = api.get("/contacts", {"email": "A@Example.org"}).json()["data"]
    assert [c["id"] for c in data] == [str(wanted.pk)]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "x@example.org", "phone": "call me"}, "phone"),
        (
            {"email": "x@example.org", "billing_address": {"country": "XX"}},
            "billing_address[country]",
        ),
        (
            {"email": "x@example.org", "billing_address": {"planet": "Mars"}},
            "billing_address[planet]",
        ),
        ({"email": 5}, "email"),
    ],
)
def test_invalid_input_is_a_400_naming_the_param(api, body, param):
    assert_error(api.post("/contacts", body), 400, "invalid_request_error", param)
    assert not Contact.objects.exists()


def test_a_taken_email_is_a_400(api, portal):
    ContactFactory(portal=portal, email="taken@example.org")
    error = assert_error(
        api.post("/contacts", {"email": "TAKEN@example.org"}), 400, "invalid_request_error", "email"
    )
    assert "<a" not in error["message"]


def test_another_portals_contact_is_a_404(api, other_portal):
    theirs = ContactFactory(portal=other_portal)
    assert_error(api.get(f"/contacts/{theirs.pk}"), 404, "invalid_request_error")
    assert_error(
        api.post(f"/contacts/{theirs.pk}", {"company": "Mine"}), 404, "invalid_request_error"
    )
    theirs.refresh_from_db()
    assert theirs.company != "Mine"
    assert api.get("/contacts").json()["data"] == []
