"""Role changes and removals, and the rule that a portal keeps a super admin."""

import pytest

from commerce.portals import services
from commerce.portals.models import Membership, User
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _membership(user, portal):
    return Membership.objects.get(user=user, portal=portal)


def test_super_admin_changes_a_members_role(admin_client_, portal, sales_rep):
    membership = _membership(sales_rep, portal)

    response = admin_client_.post(
        f"/settings/team/{membership.pk}/role/", {"role": "billing_admin"}, follow=True
    )

    membership.refresh_from_db()
    assert membership.role == "billing_admin"
    assert "is now Billing admin" in response.content.decode()


def test_new_role_applies_on_the_members_next_request(admin_client_, rep_client, portal, sales_rep):
    assert rep_client.get("/settings/team/invite/").status_code == 403

    admin_client_.post(
        f"/settings/team/{_membership(sales_rep, portal).pk}/role/", {"role": "super_admin"}
    )

    assert rep_client.get("/settings/team/invite/").status_code == 200


def test_unknown_role_is_refused(admin_client_, portal, sales_rep):
    membership = _membership(sales_rep, portal)

    response = admin_client_.post(
        f"/settings/team/{membership.pk}/role/", {"role": "owner"}, follow=True
    )

    membership.refresh_from_db()
    assert membership.role == "sales_rep"
    assert "Choose one of the roles." in response.content.decode()


def test_last_super_admin_cannot_be_demoted(admin_client_, portal, super_admin):
    membership = _membership(super_admin, portal)

    response = admin_client_.post(
        f"/settings/team/{membership.pk}/role/", {"role": "sales_rep"}, follow=True
    )

    membership.refresh_from_db()
    assert membership.role == "super_admin"
    assert "last super admin" in response.content.decode()


def test_a_super_admin_can_step_down_when_another_remains(admin_client_, portal, super_admin):
    MembershipFactory(portal=portal, role="super_admin")
    membership = _membership(super_admin, portal)

    admin_client_.post(f"/settings/team/{membership.pk}/role/", {"role": "sales_rep"})

    membership.refresh_from_db()
    assert membership.role == "sales_rep"
    assert admin_client_.get("/settings/team/invite/").status_code == 403


def test_super_admin_removes_a_member_who_keeps_their_account(
    admin_client_, portal, sales_rep, other_portal
):
    MembershipFactory(user=sales_rep, portal=other_portal)
    membership = _membership(sales_rep, portal)

    response = admin_client_.post(f"/settings/team/{membership.pk}/remove/", follow=True)

    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert User.objects.filter(pk=sales_rep.pk, is_active=True).exists()
    assert Membership.objects.filter(user=sales_rep, portal=other_portal).exists()
    assert "was removed from Acme Test Co." in response.content.decode()


def test_removed_member_no_longer_sees_the_portal(admin_client_, rep_client, portal, sales_rep):
    admin_client_.post(f"/settings/team/{_membership(sales_rep, portal).pk}/remove/")

    response = rep_client.get("/")

    assert response.status_code == 403
    assert "not in a portal" in response.content.decode()


def test_removal_keeps_records_that_point_at_the_inviter(portal, super_admin):
    MembershipFactory(portal=portal, role="super_admin")
    invited = services.membership_invite(
        portal=portal, email="x@example.com", role="sales_rep", invited_by=super_admin
    )

    services.membership_remove(membership=_membership(super_admin, portal))

    invited.refresh_from_db()
    assert invited.invited_by == super_admin
    assert User.objects.filter(pk=super_admin.pk).exists()


def test_last_super_admin_cannot_be_removed_not_even_by_themselves(
    admin_client_, portal, super_admin, sales_rep
):
    membership = _membership(super_admin, portal)

    response = admin_client_.post(f"/settings/team/{membership.pk}/remove/", follow=True)

    assert Membership.objects.filter(pk=membership.pk).exists()
    assert "last super admin" in response.content.decode()


def test_a_super_admin_may_leave_when_another_remains(admin_client_, portal, super_admin):
    MembershipFactory(portal=portal, role="super_admin")

    response = admin_client_.post(
        f"/settings/team/{_membership(super_admin, portal).pk}/remove/", follow=True
    )

    assert not Membership.objects.filter(user=super_admin, portal=portal).exists()
    assert response.redirect_chain[0][0] == "/"
    assert "You left Acme Test Co." in response.content.decode()


def test_services_refuse_to_leave_a_portal_without_a_super_admin(portal, super_admin):
    membership = _membership(super_admin, portal)

    with pytest.raises(services.PortalError, match="last super admin"):
        services.membership_change_role(membership=membership, role="billing_admin")
    with pytest.raises(services.PortalError, match="last super admin"):
        services.membership_remove(membership=membership)

    membership.refresh_from_db()
    assert membership.role == "super_admin"


def test_changing_a_membership_removed_meanwhile_is_refused(portal, sales_rep):
    membership = _membership(sales_rep, portal)
    Membership.objects.filter(pk=membership.pk).delete()

    with pytest.raises(services.PortalError, match="no longer a member"):
        services.membership_change_role(membership=membership, role="billing_admin")


def test_team_page_lists_members_with_role_and_join_date(admin_client_, portal, sales_rep):
    page = admin_client_.get("/settings/team/").content.decode()

    assert sales_rep.email in page
    assert "Sales rep" in page
    assert _membership(sales_rep, portal).created_at.strftime("%b") in page


def test_team_page_lists_only_this_portals_members(admin_client_, other_admin):
    page = admin_client_.get("/settings/team/").content.decode()

    assert other_admin.email not in page
