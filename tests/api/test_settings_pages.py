"""Settings → API keys: super admins only; the secret shows once; revoke."""

import pytest
from django.urls import reverse

from api import services
from api.models import ApiKey

pytestmark = pytest.mark.django_db


def test_a_super_admin_creates_a_key_and_sees_its_secret_once(admin_client_, portal):
    response = admin_client_.post(
        reverse("api_keys:create"),
        {"name": "Accounting sync", "scope_products": "write", "scope_contacts": "read"},
    )
    key = ApiKey.objects.get()
    assert response.status_code == 302
    assert key.portal == portal
    assert key.scopes == ["products:read", "products:write", "contacts:read"]
    page = admin_client_.get(response["Location"]).content.decode()
    assert 'id="api-key-secret"' in page
    secret = page.split('id="api-key-secret"')[1].split(">", 1)[1].split("<", 1)[0].strip()
    assert services.secret_hash(secret) == key.secret_hash
    again = admin_client_.get(response["Location"]).content.decode()
    assert secret not in again and key.prefix in again
    listing = admin_client_.get(reverse("api_keys:list")).content.decode()
    assert "Accounting sync" in listing and key.prefix in listing and secret not in listing


def test_a_key_needs_a_name_and_some_access(admin_client_):
    response = admin_client_.post(reverse("api_keys:create"), {"name": "Nothing"})
    assert response.status_code == 400
    assert not ApiKey.objects.exists()


def test_revoking_a_key(admin_client_, make_key):
    created = make_key()
    response = admin_client_.post(reverse("api_keys:revoke", args=[created.key.pk]))
    assert response.status_code == 302
    created.key.refresh_from_db()
    assert created.key.revoked_at is not None
    assert "Revoked" in admin_client_.get(reverse("api_keys:list")).content.decode()


def test_the_settings_overview_shows_the_card_to_super_admins(admin_client_, rep_client):
    assert "API keys" in admin_client_.get(reverse("settings:index")).content.decode()
    assert (
        reverse("api_keys:list") not in rep_client.get(reverse("settings:index")).content.decode()
    )


def test_only_super_admins_manage_keys(billing_client, rep_client, make_key):
    key = make_key().key
    for client in (billing_client, rep_client):
        for method, url in [
            ("get", reverse("api_keys:list")),
            ("get", reverse("api_keys:create")),
            ("post", reverse("api_keys:create")),
            ("get", reverse("api_keys:detail", args=[key.pk])),
            ("post", reverse("api_keys:revoke", args=[key.pk])),
        ]:
            assert getattr(client, method)(url).status_code == 403, (method, url)
    key.refresh_from_db()
    assert key.revoked_at is None


def test_another_portals_key_is_a_404(other_client, make_key):
    key = make_key().key
    assert other_client.get(reverse("api_keys:detail", args=[key.pk])).status_code == 404
    assert other_client.post(reverse("api_keys:revoke", args=[key.pk])).status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None
