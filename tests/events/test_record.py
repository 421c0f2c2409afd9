"""contact.* and product.* fire exactly once per change, in the change's transaction,
adding exactly one INSERT to it."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from commerce.catalog import services as products
from commerce.customers import services as contacts
from commerce.events.models import Event
from tests.factories import ContactFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _event_queries(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "events_" in q["sql"]]


def _only_one_insert(ctx: CaptureQueriesContext) -> None:
    queries = _event_queries(ctx)
    assert len(queries) == 1, queries
    assert queries[0].lstrip().upper().startswith("INSERT INTO")


def _types(**filters) -> list[str]:
    return list(Event.objects.filter(**filters).order_by("id").values_list("type", flat=True))


def test_contact_created_fires_once_with_one_insert(portal):
    with CaptureQueriesContext(connection) as ctx:
        contact = contacts.contact_create(
            portal=portal, email="Maya@Example.com", first_name="Maya"
        )
    _only_one_insert(ctx)
    event = Event.objects.get()
    assert (event.type, event.object_type, event.object_id) == (
        "contact.created",
        "contact",
        str(contact.pk),
    )
    assert event.portal == portal
    assert event.public_id.startswith("evt_") and len(event.public_id) > 20
    assert event.data["email"] == "maya@example.com"


def test_contact_updated_fires_once_per_change_and_not_for_no_change(portal):
    contact = ContactFactory(portal=portal, first_name="Maya")
    with CaptureQueriesContext(connection) as ctx:
        contacts.contact_update(contact=contact, email=contact.email, first_name="Maia")
    _only_one_insert(ctx)
    contacts.contact_update(contact=contact, email=contact.email, first_name="Maia")
    assert _types(object_id=str(contact.pk)) == ["contact.updated"]
    assert Event.objects.get().data["first_name"] == "Maia"


def test_product_created_updated_archived_fire_once_each(portal):
    with CaptureQueriesContext(connection) as ctx:
        product = products.product_create(portal=portal, name="Widget", unit_price=1250)
    _only_one_insert(ctx)
    with CaptureQueriesContext(connection) as ctx:
        products.product_update(product=product, name="Widget Pro", unit_price=1500)
    _only_one_insert(ctx)
    products.product_update(product=product, name="Widget Pro", unit_price=1500)  # no change
    with CaptureQueriesContext(connection) as ctx:
        products.product_archive(product=product)
    _only_one_insert(ctx)
    products.product_archive(product=product)  # already archived
    assert _types() == ["product.created", "product.updated", "product.archived"]
    archived = Event.objects.get(type="product.archived").data
    assert archived["archived"] is True
    assert (archived["unit_price"], archived["currency"]) == (1500, "usd")


def test_product_unarchived_is_an_update(portal):
    product = ProductFactory(portal=portal, archived=True)
    products.product_unarchive(product=product)
    assert _types() == ["product.updated"]


def test_rolled_back_changes_leave_no_event(portal):
    contact = ContactFactory(portal=portal)
    product = ProductFactory(portal=portal)
    with pytest.raises(RuntimeError), transaction.atomic():
        contacts.contact_create(portal=portal, email="a@example.com")
        contacts.contact_update(contact=contact, email=contact.email, first_name="Changed")
        products.product_create(portal=portal, name="Widget", unit_price=100)
        products.product_update(product=product, name="Changed", unit_price=1)
        products.product_archive(product=product)
        raise RuntimeError("the caller's change fails afterwards")
    assert not Event.objects.exists()


def test_a_refused_change_records_nothing(portal):
    ContactFactory(portal=portal, email="taken@example.com")
    with pytest.raises(Exception, match="already exists"):
        contacts.contact_create(portal=portal, email="TAKEN@example.com")
    assert not Event.objects.exists()


def test_csv_import_records_one_event_per_created_and_changed_product(portal):
    ProductFactory(portal=portal, sku="OLD-1", name="Old", unit_price=100)
    ProductFactory(portal=portal, sku="SAME", name="Same", unit_price=100)
    csv = (
        b"name,sku,unit_price,billing_frequency\n"
        b"New one,NEW-1,10.00,one_time\n"
        b"Renamed,OLD-1,1.00,one_time\n"
        b"Same,SAME,1.00,one_time\n"
    )
    products.product_import(portal=portal, content=csv)
    assert sorted(_types()) == ["product.created", "product.updated"]
    assert Event.objects.get(type="product.created").data["sku"] == "NEW-1"
