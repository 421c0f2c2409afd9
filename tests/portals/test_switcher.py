"""The portal switcher: POST /portal/switch/."""

import pytest

from commerce.portals.middleware import SESSION_KEY
from tests.factories import MembershipFactory, PortalFactory

pytestmark = pytest.mark.django_db


def test_member_of_two_portals_switches_to_the_other(admin_client_, super_admin, portal):
    second = PortalFactory(name="Second Shop")
    MembershipFactory(user=super_admin, portal=second, role="sales_rep")

    response = admin_client_.post("/portal/switch/", {"portal": second.pk}, follow=True)

    assert response.context["portal"] == second
    assert response.context["membership"].role == "sales_rep"
    assert admin_client_.session[SESSION_KEY] == second.pk
    assert "Switched to Second Shop." in response.content.decode()


def test_switcher_lists_the_other_portals(admin_client_, super_admin):
    second = PortalFactory(name="Second Shop")
    MembershipFactory(user=super_admin, portal=second)

    page = admin_client_.get("/").content.decode()

    assert f'value="{second.pk}"' in page
    assert "Second Shop" in page


def test_switching_to_a_portal_you_are_not_in_changes_nothing(admin_client_, portal, other_portal):
    response = admin_client_.post("/portal/switch/", {"portal": other_portal.pk}, follow=True)

    assert response.context["portal"] == portal
    assert "You are not a member of that portal." in response.content.decode()


@pytest.mark.parametrize("value", ["", "abc", "-1", "999999"])
def test_switching_with_a_bad_value_changes_nothing(admin_client_, portal, value):
    response = admin_client_.post("/portal/switch/", {"portal": value}, follow=True)

    assert response.context["portal"] == portal


def test_switch_needs_a_post(admin_client_):
    assert admin_client_.get("/portal/switch/").status_code == 405


def test_anonymous_switch_goes_to_login(client, portal):
    assert client.post("/portal/switch/", {"portal": portal.pk})["Location"] == "/login/"


def test_after_removal_from_the_active_portal_the_next_request_uses_another(
    admin_client_, super_admin, portal
):
    second = PortalFactory(name="Second Shop")
    MembershipFactory(user=super_admin, portal=second)
    MembershipFactory(portal=second, role="super_admin")
    admin_client_.post("/portal/switch/", {"portal": second.pk})
    super_admin.memberships.get(portal=second).delete()

    response = admin_client_.get("/")

    assert response.context["portal"] == portal
    assert admin_client_.session[SESSION_KEY] == portal.pk
