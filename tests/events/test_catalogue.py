"""The catalogue is the one list of event types: the docs, the snapshots and
`event_record` agree with it."""

from pathlib import Path

import pytest
from django.db import transaction

from commerce.catalog.events import product_snapshot
from commerce.customers.events import contact_snapshot
from commerce.events import catalogue
from commerce.events.services import EventError, event_record
from tests.factories import ContactFactory, ProductFactory

ROOT = Path(__file__).resolve().parents[2]

# Issue 15's list, word for word.
ISSUE_TYPES = [
    "payment.succeeded",
    "payment.failed",
    "payment.refunded",
    "payment.disputed",
    "checkout.completed",
    "payment_link.created",
    "payment_link.updated",
    "payment_link.deactivated",
    "quote.published",
    "quote.accepted",
    "quote.declined",
    "quote.expired",
    "quote.paid",
    "invoice.finalized",
    "invoice.sent",
    "invoice.paid",
    "invoice.partially_paid",
    "invoice.past_due",
    "invoice.voided",
    "invoice.marked_uncollectible",
    "subscription.created",
    "subscription.updated",
    "subscription.paused",
    "subscription.resumed",
    "subscription.renewed",
    "subscription.payment_failed",
    "subscription.past_due",
    "subscription.cancelled",
    "subscription.completed",
    "contact.created",
    "contact.updated",
    "product.created",
    "product.updated",
    "product.archived",
    "stripe_account.status_changed",
]


def test_every_type_of_the_issue_is_in_the_catalogue():
    assert set(ISSUE_TYPES) <= set(catalogue.BY_NAME)
    assert {t.name for t in catalogue.subscribable()} == set(ISSUE_TYPES)


def test_docs_page_is_the_catalogue_rendered():
    # Regenerate with: python -m commerce.events.catalogue > docs/events.md
    assert (ROOT / "docs" / "events.md").read_text().strip() == catalogue.markdown().strip()


def test_readme_links_the_catalogue_and_names_the_settings():
    readme = (ROOT / "README.md").read_text()
    assert "docs/events.md" in readme
    assert "WEBHOOK_ALLOW_PRIVATE_NETWORKS" in readme


def test_every_type_has_a_sample_of_its_object():
    for t in catalogue.EVENT_TYPES:
        payload = t.sample_payload
        assert payload["type"] == t.name
        assert payload["data"]["object"]["object"] == t.object_type


@pytest.mark.django_db
def test_contact_and_product_snapshots_have_the_shape_of_their_samples():
    assert set(contact_snapshot(ContactFactory())) == set(catalogue.SAMPLE_OBJECTS["contact"])
    assert set(product_snapshot(ProductFactory())) == set(catalogue.SAMPLE_OBJECTS["product"])


@pytest.mark.django_db
def test_an_unknown_type_is_refused(portal):
    with pytest.raises(EventError, match="Unknown event type"), transaction.atomic():
        event_record(
            portal=portal, type="contact.deleted", object_type="contact", object_id=1, data={}
        )


@pytest.mark.django_db(transaction=True)
def test_an_event_outside_a_transaction_is_refused(portal):
    with pytest.raises(EventError, match="inside the transaction"):
        event_record(
            portal=portal, type="contact.created", object_type="contact", object_id=1, data={}
        )


@pytest.mark.django_db
def test_a_model_without_a_registered_snapshot_is_refused(portal):
    with pytest.raises(EventError, match="No snapshot"), transaction.atomic():
        event_record(portal=portal, type="contact.created", obj=portal)
