"""The demo's portal users are portal users only: none of them is Django staff, so the
demo super admin (whose password is printed by `make dev`) cannot open /admin/."""

import io

import pytest
from django.core.management import call_command

from commerce.portals.models import User
from demo.seed import DEMO_PASSWORD, USERS

pytestmark = pytest.mark.django_db


def test_no_demo_user_is_django_staff_or_superuser():
    call_command("seed_demo", stdout=io.StringIO())

    demo_users = User.objects.filter(email__in=[email for email, _name, _role in USERS])
    assert demo_users.count() == len(USERS)
    assert list(demo_users.filter(is_staff=True)) == []
    assert list(demo_users.filter(is_superuser=True)) == []


def test_the_demo_super_admin_gets_no_access_to_the_django_admin(client):
    call_command("seed_demo", stdout=io.StringIO())
    admin_email = USERS[0][0]

    # Signing in to the hub works
    signed_in = client.post("/login/", {"username": admin_email, "password": DEMO_PASSWORD})
    assert signed_in["Location"] == "/"

    # The Django admin does not let them in
    admin = client.get("/admin/")
    assert admin.status_code == 302 and admin["Location"].startswith("/admin/login/")
    assert client.get("/admin/portals/portal/").status_code == 302
    refused = client.post("/admin/login/", {"username": admin_email, "password": DEMO_PASSWORD})
    assert refused.status_code == 200  # the admin's own "not a staff account" form
    assert client.get("/admin/portals/portal/").status_code == 302


def test_seeding_again_takes_staff_rights_from_demo_users_of_an_older_seed():
    """A var/ seeded before made the demo super admin a superuser; the next `make dev`
    takes that back."""
    call_command("seed_demo", stdout=io.StringIO())
    User.objects.filter(email=USERS[0][0]).update(is_staff=True, is_superuser=True)

    call_command("seed_demo", stdout=io.StringIO())

    assert not User.objects.filter(email=USERS[0][0], is_staff=True).exists()
    assert not User.objects.filter(email=USERS[0][0], is_superuser=True).exists()
