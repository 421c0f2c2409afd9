"""Who may open and post to each settings page; another portal's ids are 404s."""

import pytest
from django.urls import reverse

from commerce.portals.models import Membership
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

CLIENTS = ["admin_client_", "billing_client", "rep_client"]

# page: expected status for (super admin, billing admin, sales rep)
PAGES = {
    "/settings/": (200, 200, 200),
    "/settings/portal/": (200, 200, 200),
    "/settings/team/": (200, 200, 200),
    "/settings/team/invite/": (200, 403, 403),
}


@pytest.mark.parametrize("path", sorted(PAGES))
@pytest.mark.parametrize("index,who", list(enumerate(CLIENTS)))
def test_each_role_can_open_exactly_its_settings_pages(request, portal, path, index, who):
    client = request.getfixturevalue(who)

    assert client.get(path).status_code == PAGES[path][index]


@pytest.mark.parametrize("who", ["billing_client", "rep_client"])
def test_only_super_admins_change_things(request, portal, super_admin, who):
    client = request.getfixturevalue(who)
    target = MembershipFactory(portal=portal, role="sales_rep")
    posts = [
        (
            "/settings/portal/",
            {"name": "Hacked", "time_zone": "America/Chicago", "accent_colour": "#000000"},
        ),
        ("/settings/portal/logo/remove/", {}),
        ("/settings/team/invite/", {"email": "x@example.com", "role": "super_admin"}),
        (f"/settings/team/{target.pk}/role/", {"role": "super_admin"}),
        (f"/settings/team/{target.pk}/remove/", {}),
        (f"/settings/team/{target.pk}/resend/", {}),
    ]

    for path, data in posts:
        assert client.post(path, data).status_code == 403, path

    portal.refresh_from_db()
    assert portal.name == "Acme Test Co."
    target.refresh_from_db()
    assert target.role == "sales_rep"
    assert not Membership.objects.filter(user__email="x@example.com").exists()


@pytest.mark.parametrize("who", ["billing_client", "rep_client"])
def test_read_only_team_page_has_no_edit_buttons(request, portal, super_admin, who):
    page = request.getfixturevalue(who).get("/settings/team/").content.decode()

    assert super_admin.email in page
    assert "Invite member" not in page
    assert "Change role" not in page
    assert "/remove/" not in page
    assert "Only super admins" in page


def test_super_admin_sees_the_edit_buttons(admin_client_, portal, sales_rep):
    page = admin_client_.get("/settings/team/").content.decode()

    assert "Invite member" in page and "Change role" in page and "<dialog" in page


@pytest.mark.parametrize("action", ["role", "remove", "resend"])
def test_another_portals_membership_is_a_404(admin_client_, portal, other_admin, action):
    foreign = Membership.objects.get(user=other_admin)

    response = admin_client_.post(f"/settings/team/{foreign.pk}/{action}/", {"role": "sales_rep"})

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.role == "super_admin"


@pytest.mark.parametrize("action", ["role", "remove", "resend"])
def test_an_unknown_membership_is_a_404(admin_client_, portal, action):
    assert admin_client_.post(f"/settings/team/999999/{action}/").status_code == 404


@pytest.mark.parametrize(
    "path", ["/settings/portal/logo/", "/settings/team/1/role/", "/settings/team/1/remove/"]
)
def test_actions_need_a_post(admin_client_, portal, path):
    assert admin_client_.get(path).status_code == 405


def test_user_without_a_portal_sees_the_no_portal_page(client, portal):
    from tests.factories import UserFactory

    client.force_login(UserFactory())

    response = client.get("/settings/")

    assert response.status_code == 403
    assert "not in a portal" in response.content.decode()


def test_settings_index_links_every_section_for_super_admins(admin_client_, portal):
    page = admin_client_.get("/settings/").content.decode()

    for url_name in ["settings:portal", "settings:team", "payments:settings", "payments:events"]:
        assert f'href="{reverse(url_name)}"' in page
    assert "Not connected" in page  # the Stripe connection's live status
    assert "0 events received" in page


def test_settings_index_hides_webhook_events_from_other_roles(rep_client, portal):
    page = rep_client.get("/settings/").content.decode()

    assert f'href="{reverse("payments:events")}"' not in page
    assert f'href="{reverse("payments:settings")}"' in page
    assert "Only super admins" in page
