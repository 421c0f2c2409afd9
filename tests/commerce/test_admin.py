"""Django admin: every model of the hub is registered, and every list and add page
opens for a superuser."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

OUR_APPS = ("portals", "customers", "catalog", "payments", "subscriptions", "quotes", "invoices")


def our_models():
    return [
        model
        for config in apps.get_app_configs()
        if config.label in OUR_APPS
        for model in config.get_models()
    ]


def test_every_model_is_registered_in_the_admin():
    missing = [m._meta.label for m in our_models() if m not in admin.site._registry]
    assert missing == []


@pytest.mark.django_db
def test_every_admin_list_and_add_page_opens(client, django_user_model):
    superuser = django_user_model.objects.create_superuser(
        email="root@example.com", password="pw-for-tests-only"
    )
    client.force_login(superuser)
    for model in our_models():
        meta = model._meta
        for view in ("changelist", "add"):
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}")
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
