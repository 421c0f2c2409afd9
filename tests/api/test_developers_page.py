"""Settings → Developers: the base URL, the portal's keys, a curl with its real ids."""

import html

import pytest
from django.urls import reverse

from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_a_super_admin_sees_the_base_url_keys_and_a_curl_with_a_real_product(
    admin_client_, portal, other_portal, make_key, settings
):
    settings.SITE_URL = "https://hub.example.com"
    product = ProductFactory(portal=portal, name="Onboarding package")
    ProductFactory(portal=other_portal, name="Not ours")
    created = make_key(["products:read"])
    make_key(portal=other_portal)
    response = admin_client_.get(reverse("developers"))
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "https://hub.example.com/api/v1/" in page
    assert f"https://hub.example.com/api/v1/products/{product.pk}" in page
    assert "Not ours" not in page
    assert f"{created.key.prefix}…" in page and created.secret not in page
    assert page.count("Test key") == 1  # the other portal's key is not listed
    for url in (
        reverse("api_docs"),
        reverse("api-v1:openapi-json"),
        reverse("webhooks:docs"),
        reverse("api_keys:list"),
    ):
        assert f'href="{url}"' in page


def test_without_products_it_shows_how_to_add_one(admin_client_):
    page = admin_client_.get(reverse("developers")).content.decode()
    assert "No active keys yet." in page and "unit_price" in page


def test_only_super_admins_see_it(billing_client, rep_client, admin_client_):
    for client in (billing_client, rep_client):
        assert client.get(reverse("developers")).status_code == 403
        assert reverse("developers") not in client.get(reverse("settings:index")).content.decode()
    assert reverse("developers") in admin_client_.get(reverse("settings:index")).content.decode()
