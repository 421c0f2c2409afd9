"""Validation rules of a product, as the product page and the CSV import apply them."""

import pytest

from commerce.catalog.forms import ProductForm, ProductImportForm
from commerce.forms import MoneyField
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def product_data(**overrides):
    data = {
        "name": "Widget",
        "sku": "WID-1",
        "description": "",
        "unit_price": "49.00",
        "unit_cost": "",
        "billing_frequency": "monthly",
        "term_periods": "",
    }
    data.update(overrides)
    return data


# --- MoneyField ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "cents"),
    [("1,234.50", 123450), ("$19.99", 1999), ("49", 4900), (" 0.5 ", 50), ("0", 0)],
)
def test_money_field_cleans_dollars_to_integer_cents(typed, cents):
    assert MoneyField().clean(typed) == cents


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-1", "The amount cannot be negative."),
        ("1000000.00", "The amount cannot be more than $999,999.99."),
        ("1.999", "Use at most 2 decimal places."),
        ("abc", "“abc” is not an amount. Use digits, like 1250.00."),
    ],
)
def test_money_field_refuses_bad_amounts_with_a_message_for_people(typed, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        MoneyField().clean(typed)
    assert exc.value.messages == [message]


def test_money_field_renders_cents_as_dollars_and_keeps_what_was_typed():
    field = MoneyField()
    assert field.prepare_value(123450) == "1234.50"
    assert field.prepare_value("12,34") == "12,34"


def test_optional_money_field_is_none_when_empty():
    assert MoneyField(required=False).clean("  ") is None


# --- ProductForm ---------------------------------------------------------------


def test_valid_product_form_cleans_amounts_to_cents(portal):
    form = ProductForm(product_data(unit_price="$1,234.50", unit_cost="200"), portal=portal)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["unit_price"] == 123450
    assert form.cleaned_data["unit_cost"] == 20000
    assert form.cleaned_data["term_periods"] is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("unit_price", "-5", "The amount cannot be negative."),
        ("unit_price", "999999.991", "Use at most 2 decimal places."),
        ("unit_price", "1000000", "The amount cannot be more than $999,999.99."),
        ("unit_price", "", "This field is required."),
        ("unit_cost", "-0.01", "The amount cannot be negative."),
        ("name", "", "This field is required."),
        (
            "term_periods",
            "0",
            "Enter a term of 1 to 1,000 billing periods, or leave it empty to bill until cancelled.",
        ),
        (
            "term_periods",
            "1001",
            "Enter a term of 1 to 1,000 billing periods, or leave it empty to bill until cancelled.",
        ),
    ],
)
def test_product_form_explains_each_invalid_value(portal, field, value, message):
    form = ProductForm(product_data(**{field: value}), portal=portal)
    assert not form.is_valid()
    assert form.errors[field] == [message]


def test_price_at_stripes_maximum_is_accepted(portal):
    form = ProductForm(product_data(unit_price="999,999.99"), portal=portal)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["unit_price"] == 99_999_999


def test_one_time_product_with_a_term_is_refused(portal):
    form = ProductForm(product_data(billing_frequency="one_time", term_periods="12"), portal=portal)
    assert not form.is_valid()
    assert form.errors["term_periods"] == ["One-time products have no term."]


def test_recurring_product_accepts_a_term_of_1_to_1000_periods(portal):
    for term in ("1", "1000"):
        form = ProductForm(product_data(term_periods=term), portal=portal)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["term_periods"] == int(term)


def test_sku_used_in_the_portal_is_refused_ignoring_case(portal):
    ProductFactory(portal=portal, sku="ABC-1", name="Widget Pro")
    form = ProductForm(product_data(sku="  abc-1 "), portal=portal)
    assert not form.is_valid()
    assert form.errors["sku"] == ["SKU “abc-1” is already used by “Widget Pro”."]


def test_sku_of_another_portal_may_be_reused(portal, other_portal):
    ProductFactory(portal=other_portal, sku="ABC-1")
    form = ProductForm(product_data(sku="ABC-1"), portal=portal)
    assert form.is_valid(), form.errors


def test_editing_a_product_keeps_its_own_sku(portal):
    product = ProductFactory(portal=portal, sku="ABC-1")
    form = ProductForm(product_data(sku="abc-1"), portal=portal, product=product)
    assert form.is_valid(), form.errors


def test_many_products_may_have_no_sku(portal):
    ProductFactory(portal=portal, sku="")
    form = ProductForm(product_data(sku=""), portal=portal)
    assert form.is_valid(), form.errors


def test_edit_form_shows_stored_cents_as_dollars(portal):
    product = ProductFactory(portal=portal, unit_price=123450, unit_cost=None)
    form = ProductForm(portal=portal, product=product)
    assert form["unit_price"].value() == "1234.50"
    assert 'value="1234.50"' in str(form["unit_price"])


# --- ProductImportForm (one CSV row) --------------------------------------------


@pytest.mark.parametrize("typed", ["monthly", "Monthly", " MONTHLY ", "monthly"])
def test_import_row_accepts_frequency_value_or_label_in_any_case(portal, typed):
    form = ProductImportForm(product_data(billing_frequency=typed, archived=""), portal=portal)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["billing_frequency"] == "monthly"


def test_import_row_accepts_multi_word_labels(portal):
    form = ProductImportForm(
        product_data(billing_frequency="every two weeks", archived=""), portal=portal
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["billing_frequency"] == "biweekly"


def test_import_row_with_unknown_frequency_lists_the_choices(portal):
    form = ProductImportForm(product_data(billing_frequency="fortnightly"), portal=portal)
    assert not form.is_valid()
    assert form.errors["billing_frequency"][0].startswith(
        "“fortnightly” is not a billing frequency. Use one of: one_time, weekly"
    )


@pytest.mark.parametrize(
    ("typed", "value"), [("true", True), ("No", False), ("1", True), ("", False)]
)
def test_import_row_reads_archived_flags(portal, typed, value):
    form = ProductImportForm(product_data(archived=typed), portal=portal)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["archived"] is value


def test_import_row_refuses_an_unclear_archived_flag(portal):
    form = ProductImportForm(product_data(archived="maybe"), portal=portal)
    assert not form.is_valid()
    assert form.errors["archived"] == ["Use true or false."]


def test_import_row_refuses_a_sku_repeated_from_an_earlier_row(portal):
    form = ProductImportForm(
        product_data(sku="abc", archived=""), portal=portal, seen_skus={"abc": ("Widget", 3)}
    )
    assert not form.is_valid()
    assert form.errors["sku"] == ["SKU “abc” is already used by “Widget” on row 3."]
