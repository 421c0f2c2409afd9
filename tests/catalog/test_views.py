"""Pages of the product library: list, detail, create, edit, archive, permissions, tenancy."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commerce.catalog.models import Product
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def product_post(**overrides):
    data = {
        "name": "Growth plan",
        "sku": "PLAN-G",
        "description": "Up to 25 seats.",
        "unit_price": "$1,234.50",
        "unit_cost": "200",
        "billing_frequency": "monthly",
        "term_periods": "12",
    }
    data.update(overrides)
    return data


def names(response):
    return [p.name for p in response.context["page_obj"].object_list]


# --- List --------------------------------------------------------------------------


def test_list_shows_active_products_with_price_schedule_cost_and_status(portal, rep_client):
    ProductFactory(
        portal=portal,
        name="Starter plan",
        sku="PLAN-S",
        description="Up to 5 seats.",
        unit_price=4900,
        unit_cost=900,
        billing_frequency="monthly",
    )
    ProductFactory(portal=portal, name="Growth plan", billing_frequency="monthly", term_periods=12)
    ProductFactory(portal=portal, name="Old thing", archived=True)
    response = rep_client.get(reverse("catalog:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert names(response) == ["Growth plan", "Starter plan"]
    assert '$49.00 <span class="muted">/ month</span>' in html
    assert "every month until cancelled" in html
    assert "every month for 12 months" in html
    assert "PLAN-S" in html and "Up to 5 seats." in html
    assert "$9.00" in html
    assert "Active" in html
    assert "Old thing" not in html


def test_list_never_shows_another_portals_products(portal, other_portal, rep_client):
    ProductFactory(portal=portal, name="Mine")
    ProductFactory(portal=other_portal, name="Theirs")
    response = rep_client.get(reverse("catalog:list"))
    assert names(response) == ["Mine"]


def test_search_finds_products_by_name_or_sku_ignoring_case(portal, rep_client):
    ProductFactory(portal=portal, name="Growth plan", sku="PLAN-G")
    ProductFactory(portal=portal, name="Hardware scanner", sku="HW-SCAN-01")
    ProductFactory(portal=portal, name="Extra seat", sku="SEAT")
    url = reverse("catalog:list")
    assert names(rep_client.get(url, {"q": "scan-01"})) == ["Hardware scanner"]
    assert names(rep_client.get(url, {"q": "GROWTH"})) == ["Growth plan"]
    assert names(rep_client.get(url, {"q": "plan growth"})) == ["Growth plan"]


def test_search_without_results_says_so_and_offers_to_clear_it(portal, rep_client):
    ProductFactory(portal=portal, name="Growth plan")
    html = rep_client.get(reverse("catalog:list"), {"q": "nothing-like-it"}).content.decode()
    assert "No products match “nothing-like-it”" in html
    assert f'href="{reverse("catalog:list")}">Clear search</a>' in html


def test_filter_by_billing_frequency(portal, rep_client):
    ProductFactory(portal=portal, name="Monthly thing", billing_frequency="monthly")
    ProductFactory(portal=portal, name="Yearly thing", billing_frequency="yearly")
    response = rep_client.get(reverse("catalog:list"), {"frequency": "yearly"})
    assert names(response) == ["Yearly thing"]
    assert 'value="yearly" selected' in response.content.decode()


def test_unknown_frequency_filter_is_ignored(portal, rep_client):
    ProductFactory(portal=portal, name="A")
    assert names(rep_client.get(reverse("catalog:list"), {"frequency": "bogus"})) == ["A"]


def test_show_archived_includes_archived_products_with_their_badge(portal, rep_client):
    ProductFactory(portal=portal, name="Active one")
    ProductFactory(portal=portal, name="Archived one", archived=True)
    response = rep_client.get(reverse("catalog:list"), {"archived": "1"})
    assert names(response) == ["Active one", "Archived one"]
    assert 'badge-grey">Archived' in response.content.decode()


def test_list_paginates_25_per_page_and_keeps_filters_in_links(portal, rep_client):
    for i in range(30):
        ProductFactory(portal=portal, name=f"Plan {i:02d}", billing_frequency="monthly")
    url = reverse("catalog:list")
    first = rep_client.get(url, {"frequency": "monthly"})
    assert len(names(first)) == 25
    assert "Showing 1\u201325 of 30" in first.content.decode()
    assert "?frequency=monthly&amp;page=2" in first.content.decode()
    second = rep_client.get(url, {"frequency": "monthly", "page": "2"})
    assert names(second) == [f"Plan {i}" for i in range(25, 30)]
    assert names(rep_client.get(url, {"page": "999"})) == names(second)


def test_list_runs_a_constant_number_of_queries(portal, rep_client, django_assert_max_num_queries):
    ProductFactory(portal=portal)
    url = reverse("catalog:list")
    with CaptureQueriesContext(connection) as one_product:
        rep_client.get(url)
    ProductFactory.create_batch(40, portal=portal)
    with django_assert_max_num_queries(len(one_product.captured_queries)):
        response = rep_client.get(url)
    assert len(names(response)) == 25


def test_empty_library_explains_and_offers_to_add_or_import(rep_client):
    html = rep_client.get(reverse("catalog:list")).content.decode()
    assert "No products yet" in html
    assert f'href="{reverse("catalog:create")}">Add a product</a>' in html
    assert f'href="{reverse("catalog:import")}">Import from CSV</a>' in html


def test_billing_admin_sees_the_list_without_edit_buttons(portal, billing_client):
    ProductFactory(portal=portal, name="Visible")
    response = billing_client.get(reverse("catalog:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Visible" in html
    assert reverse("catalog:create") not in html
    assert reverse("catalog:import") not in html
    assert reverse("catalog:export") in html


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(reverse("catalog:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- Detail ------------------------------------------------------------------------


def test_detail_shows_price_schedule_margin_and_actions(portal, rep_client):
    product = ProductFactory(
        portal=portal,
        name="Growth plan",
        unit_price=14900,
        unit_cost=2600,
        billing_frequency="monthly",
        term_periods=12,
    )
    html = rep_client.get(reverse("catalog:detail", args=[product.pk])).content.decode()
    assert "$149.00" in html
    assert "every month for 12 months" in html
    assert "$123.00" in html and "(83%)" in html
    assert reverse("catalog:edit", args=[product.pk]) in html
    assert 'id="archive-dialog"' in html
    assert reverse("catalog:archive", args=[product.pk]) in html


def test_detail_of_archived_product_offers_unarchive(portal, rep_client):
    product = ProductFactory(portal=portal, archived=True)
    html = rep_client.get(reverse("catalog:detail", args=[product.pk])).content.decode()
    assert "This product is archived" in html
    assert reverse("catalog:unarchive", args=[product.pk]) in html
    assert 'id="archive-dialog"' not in html


def test_billing_admin_sees_detail_without_edit_actions(portal, billing_client):
    product = ProductFactory(portal=portal)
    response = billing_client.get(reverse("catalog:detail", args=[product.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("catalog:edit", args=[product.pk]) not in html
    assert reverse("catalog:archive", args=[product.pk]) not in html


# --- Create and edit --------------------------------------------------------------


def test_sales_rep_creates_a_product_in_cents(portal, rep_client):
    response = rep_client.post(reverse("catalog:create"), product_post())
    product = Product.objects.get(portal=portal)
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:detail", args=[product.pk])
    assert (product.unit_price, product.unit_cost, product.term_periods) == (123450, 20000, 12)
    assert "Product “Growth plan” created." in rep_client.get(response["Location"]).content.decode()


def test_super_admin_can_create_products(portal, admin_client_):
    response = admin_client_.post(reverse("catalog:create"), product_post())
    assert response.status_code == 302
    assert Product.objects.filter(portal=portal).count() == 1


def test_create_form_shows_errors_next_to_fields_and_a_summary(portal, rep_client):
    response = rep_client.post(
        reverse("catalog:create"),
        product_post(unit_price="-3", billing_frequency="one_time", term_periods="4"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please correct the highlighted fields below." in html
    assert "The amount cannot be negative." in html
    assert "One-time products have no term." in html
    assert 'value="-3"' in html
    assert not Product.objects.exists()


def test_create_with_a_taken_sku_names_the_product_using_it(portal, rep_client):
    ProductFactory(portal=portal, sku="PLAN-G", name="Existing plan")
    response = rep_client.post(reverse("catalog:create"), product_post(sku="plan-g"))
    assert response.status_code == 200
    assert "SKU “plan-g” is already used by “Existing plan”." in response.content.decode()
    assert Product.objects.filter(portal=portal).count() == 1


def test_billing_admin_cannot_create_products(billing_client):
    assert billing_client.get(reverse("catalog:create")).status_code == 403
    assert billing_client.post(reverse("catalog:create"), product_post()).status_code == 403
    assert not Product.objects.exists()


def test_edit_form_shows_dollars_and_saves_changes(portal, rep_client):
    product = ProductFactory(portal=portal, unit_price=4900, sku="OLD")
    url = reverse("catalog:edit", args=[product.pk])
    assert 'value="49.00"' in rep_client.get(url).content.decode()
    response = rep_client.post(url, product_post(name="Renamed", unit_price="59.5", sku="OLD"))
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.unit_price) == ("Renamed", 5950)


def test_billing_admin_cannot_edit_archive_or_unarchive(portal, billing_client):
    product = ProductFactory(portal=portal, name="Untouched")
    assert billing_client.get(reverse("catalog:edit", args=[product.pk])).status_code == 403
    assert (
        billing_client.post(reverse("catalog:edit", args=[product.pk]), product_post()).status_code
        == 403
    )
    assert billing_client.post(reverse("catalog:archive", args=[product.pk])).status_code == 403
    assert billing_client.post(reverse("catalog:unarchive", args=[product.pk])).status_code == 403
    product.refresh_from_db()
    assert (product.name, product.archived) == ("Untouched", False)


# --- Archive -------------------------------------------------------------------------


def test_archive_hides_the_product_from_the_active_list(portal, rep_client):
    product = ProductFactory(portal=portal, name="Retired")
    response = rep_client.post(reverse("catalog:archive", args=[product.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:list")
    product.refresh_from_db()
    assert product.archived
    assert names(rep_client.get(reverse("catalog:list"))) == []
    assert names(rep_client.get(reverse("catalog:list"), {"archived": "1"})) == ["Retired"]


def test_unarchive_brings_the_product_back(portal, rep_client):
    product = ProductFactory(portal=portal, archived=True)
    response = rep_client.post(reverse("catalog:unarchive", args=[product.pk]))
    assert response["Location"] == reverse("catalog:detail", args=[product.pk])
    product.refresh_from_db()
    assert not product.archived


def test_archive_needs_a_post(portal, rep_client):
    product = ProductFactory(portal=portal)
    assert rep_client.get(reverse("catalog:archive", args=[product.pk])).status_code == 405
    product.refresh_from_db()
    assert not product.archived


# --- Tenancy: another portal's id is a 404 everywhere ---------------------------------


@pytest.mark.parametrize(
    ("url_name", "method"),
    [
        ("catalog:detail", "get"),
        ("catalog:edit", "get"),
        ("catalog:edit", "post"),
        ("catalog:archive", "post"),
        ("catalog:unarchive", "post"),
    ],
)
def test_another_portals_product_is_not_found(other_portal, rep_client, url_name, method):
    foreign = ProductFactory(
        portal=other_portal, name="Theirs", archived=url_name == "catalog:unarchive"
    )
    url = reverse(url_name, args=[foreign.pk])
    response = getattr(rep_client, method)(url, product_post() if method == "post" else None)
    assert response.status_code == 404
    before = (foreign.name, foreign.archived)
    foreign.refresh_from_db()
    assert (foreign.name, foreign.archived) == before
