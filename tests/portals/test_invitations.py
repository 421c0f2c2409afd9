"""Inviting people: new accounts, existing accounts, duplicates, the accept link."""

import pytest
from django.core import mail

from commerce.portals import services
from commerce.portals.middleware import SESSION_KEY
from commerce.portals.models import Membership, User
from tests.factories import PASSWORD, MembershipFactory, PortalFactory, UserFactory
from tests.portals.helpers import link_in

pytestmark = pytest.mark.django_db


def _invite(client, email, role="sales_rep", name=""):
    return client.post("/settings/team/invite/", {"email": email, "role": role, "name": name})


def test_inviting_a_new_address_creates_the_user_and_membership_and_emails_a_link(
    admin_client_, super_admin, portal, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _invite(admin_client_, "New.Person@Example.com", "billing_admin", "New Person")

    assert response["Location"] == "/settings/team/"
    user = User.objects.get(email="new.person@example.com")
    assert user.name == "New Person"
    assert not user.has_usable_password()
    membership = Membership.objects.get(portal=portal, user=user)
    assert membership.role == "billing_admin"
    assert membership.invited_by == super_admin
    assert len(callbacks) == 1
    [message] = mail.outbox
    assert message.to == ["new.person@example.com"]
    assert "Acme Test Co." in message.subject
    assert "Billing admin" in message.body
    assert message.alternatives[0][1] == "text/html"
    assert "/settings/invite/" in message.alternatives[0][0]


def test_invitation_email_is_sent_only_after_commit(
    portal, super_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.membership_invite(
            portal=portal, email="later@example.com", role="sales_rep", invited_by=super_admin
        )

    assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1


def test_invited_user_sets_a_password_is_signed_in_and_lands_in_the_inviting_portal(
    client, portal, super_admin, django_capture_on_commit_callbacks
):
    own = PortalFactory(name="Someone Else's")
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_invite(
            portal=own, email="new@example.com", role="sales_rep", invited_by=super_admin
        )
        services.membership_invite(
            portal=portal, email="new@example.com", role="billing_admin", invited_by=super_admin
        )
    link = link_in(mail.outbox[-1], "/settings/invite/")

    page = client.get(link, follow=True)
    assert page.context["validlink"] is True
    assert "Join Acme Test Co." in page.content.decode()
    done = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "a-long-new-password-7", "new_password2": "a-long-new-password-7"},
        follow=True,
    )

    assert done.redirect_chain[-1][0] == "/"
    assert done.context["portal"] == portal
    assert client.session[SESSION_KEY] == portal.pk
    assert "Welcome to Acme Test Co." in done.content.decode()
    user = User.objects.get(email="new@example.com")
    assert user.check_password("a-long-new-password-7")


def test_invitation_link_stops_working_once_used(
    client, portal, super_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.membership_invite(
            portal=portal, email="new@example.com", role="sales_rep", invited_by=super_admin
        )
    link = link_in(mail.outbox[0], "/settings/invite/")
    page = client.get(link, follow=True)
    client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "a-long-new-password-7", "new_password2": "a-long-new-password-7"},
    )
    client.post("/logout/")

    again = client.get(link, follow=True)

    assert again.context["validlink"] is False
    assert "expired" in again.content.decode()


def test_invitation_link_with_a_bad_token_is_refused(client, portal, super_admin):
    membership = services.membership_invite(
        portal=portal, email="new@example.com", role="sales_rep", invited_by=super_admin
    )
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(membership.user_id))

    page = client.get(f"/settings/invite/{portal.public_id}/{uid}/bad-token/")

    assert page.context["validlink"] is False


def test_inviting_an_existing_user_adds_the_membership_and_sends_a_notice(
    admin_client_, portal, django_capture_on_commit_callbacks
):
    existing = UserFactory(email="known@example.com")
    MembershipFactory(user=existing)  # a member of some other portal

    with django_capture_on_commit_callbacks(execute=True):
        _invite(admin_client_, "KNOWN@example.com", "sales_rep")

    assert Membership.objects.filter(portal=portal, user=existing, role="sales_rep").exists()
    existing.refresh_from_db()
    assert existing.check_password(PASSWORD)  # untouched
    [message] = mail.outbox
    assert "You now have access to Acme Test Co." in message.subject
    assert "/login/" in message.body
    assert "/settings/invite/" not in message.body


def test_inviting_someone_already_a_member_is_a_form_error_and_changes_nothing(
    admin_client_, portal, sales_rep, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(admin_client_, "REP@acme.test", "super_admin")

    assert response.status_code == 400
    assert "rep@acme.test is already a member of Acme Test Co." in str(
        response.context["form"].errors["email"]
    )
    assert Membership.objects.get(portal=portal, user=sales_rep).role == "sales_rep"
    assert mail.outbox == []


@pytest.mark.parametrize(
    "data",
    [{"email": "not-an-email", "role": "sales_rep"}, {"email": "a@b.test", "role": "owner"}],
)
def test_invalid_invitation_is_a_form_error(admin_client_, portal, data):
    response = admin_client_.post("/settings/team/invite/", data)

    assert response.status_code == 400
    assert not User.objects.filter(email=data["email"]).exists()


def test_resending_an_invitation_emails_a_fresh_link(
    admin_client_, portal, super_admin, django_capture_on_commit_callbacks
):
    membership = services.membership_invite(
        portal=portal, email="slow@example.com", role="sales_rep", invited_by=super_admin
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(f"/settings/team/{membership.pk}/resend/")

    assert response["Location"] == "/settings/team/"
    [message] = mail.outbox
    assert message.to == ["slow@example.com"]
    assert "/settings/invite/" in message.body


def test_resending_to_someone_who_already_joined_is_refused(admin_client_, sales_rep, portal):
    membership = sales_rep.memberships.get(portal=portal)

    response = admin_client_.post(f"/settings/team/{membership.pk}/resend/", follow=True)

    assert "has already joined" in response.content.decode()
    assert mail.outbox == []


def test_pending_invitations_are_marked_on_the_team_page(admin_client_, portal, super_admin):
    services.membership_invite(
        portal=portal, email="pending@example.com", role="sales_rep", invited_by=super_admin
    )

    page = admin_client_.get("/settings/team/").content.decode()

    assert "pending@example.com" in page
    assert "Invited" in page
    assert "Resend invite" in page


def test_invitation_removed_before_the_email_goes_out_sends_nothing(
    portal, super_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        membership = services.membership_invite(
            portal=portal, email="gone@example.com", role="sales_rep", invited_by=super_admin
        )
    membership.delete()

    callbacks[0]()

    assert mail.outbox == []
