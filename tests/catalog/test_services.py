"""Writes of the product library."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from commerce.catalog.models import Product
from commerce.catalog.services import (
    product_archive,
    product_create,
    product_unarchive,
    product_update,
)
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_product_create_stores_the_product_in_the_portal(portal):
    product = product_create(
        portal=portal,
        name="Growth plan",
        sku=" PLAN-G ",
        unit_price=14900,
        unit_cost=2600,
        billing_frequency="monthly",
        term_periods=12,
    )
    product.refresh_from_db()
    assert product.portal == portal
    assert product.sku == "PLAN-G"
    assert (product.unit_price, product.unit_cost, product.term_periods) == (14900, 2600, 12)
    assert product.currency == portal.currency
    assert product.schedule == "every month for 12 months"
    assert not product.archived


def test_product_create_with_a_taken_sku_is_a_validation_error_not_a_crash(portal):
    """The form checks first; two people saving at once are stopped by the constraint."""
    ProductFactory(portal=portal, sku="DUP")
    with pytest.raises(ValidationError) as exc:
        product_create(portal=portal, name="Second", sku="dup", unit_price=100)
    assert exc.value.message_dict["sku"] == ["SKU “dup” is already used by another product."]
    assert Product.objects.filter(portal=portal).count() == 1


def test_database_refuses_a_term_on_a_one_time_product(portal):
    with pytest.raises(IntegrityError):
        product_create(
            portal=portal, name="Bad", unit_price=100, billing_frequency="one_time", term_periods=3
        )


def test_product_update_changes_every_editable_field(portal):
    product = ProductFactory(portal=portal, sku="OLD", unit_price=100)
    updated = product_update(
        product=product,
        name="New name",
        sku="NEW",
        description="Now with more",
        unit_price=2500,
        unit_cost=None,
        billing_frequency="yearly",
        term_periods=None,
    )
    updated.refresh_from_db()
    assert (updated.name, updated.sku, updated.description) == ("New name", "NEW", "Now with more")
    assert (updated.unit_price, updated.unit_cost) == (2500, None)
    assert updated.schedule == "every year until cancelled"


def test_product_update_to_a_taken_sku_is_a_validation_error(portal):
    ProductFactory(portal=portal, sku="TAKEN")
    product = ProductFactory(portal=portal, sku="MINE")
    with pytest.raises(ValidationError):
        product_update(product=product, name="x", sku="taken", unit_price=100)
    product.refresh_from_db()
    assert product.sku == "MINE"


def test_archive_and_unarchive_are_idempotent(portal):
    product = ProductFactory(portal=portal)
    assert product_archive(product=product).archived is True
    assert product_archive(product=product).archived is True
    product.refresh_from_db()
    assert product.archived is True
    assert product_unarchive(product=product).archived is False
    product.refresh_from_db()
    assert product.archived is False
