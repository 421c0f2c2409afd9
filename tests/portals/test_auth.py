"""Sign in by e-mail, sign out, password reset by e-mail."""

import pytest
from django.core import mail

from tests.factories import PASSWORD
from tests.portals.helpers import link_in

pytestmark = pytest.mark.django_db


def test_member_signs_in_with_email_and_lands_on_the_dashboard(client, super_admin):
    response = client.post("/login/", {"username": "Admin@Acme.test", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_wrong_password_shows_an_error_and_does_not_sign_in(client, super_admin):
    response = client.post("/login/", {"username": super_admin.email, "password": "nope"})

    assert response.status_code == 200
    assert "match an account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_anonymous_user_is_sent_to_login_with_next(client, portal):
    response = client.get("/settings/team/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/settings/team/"


def test_sign_in_follows_next(client, super_admin):
    response = client.post(
        "/login/?next=/settings/team/",
        {"username": super_admin.email, "password": PASSWORD, "next": "/settings/team/"},
    )

    assert response["Location"] == "/settings/team/"


def test_sign_in_ignores_a_next_to_another_site(client, super_admin):
    response = client.post(
        "/login/",
        {"username": super_admin.email, "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert response["Location"] == "/"


def test_signed_in_user_visiting_login_is_redirected(admin_client_):
    response = admin_client_.get("/login/")

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_logout_needs_a_post(admin_client_):
    assert admin_client_.get("/logout/").status_code == 405

    response = admin_client_.post("/logout/")

    assert response["Location"] == "/login/"
    assert admin_client_.get("/").status_code == 302


def test_password_reset_by_email_lets_the_user_choose_a_new_password(client, super_admin):
    client.post("/password-reset/", {"email": super_admin.email})
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [super_admin.email]
    assert message.alternatives  # an HTML part too

    link = link_in(message, "/password-reset/")
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"] is True
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url,
        {"new_password1": "a-new-long-password-42", "new_password2": "a-new-long-password-42"},
    )
    assert done["Location"] == "/password-reset/complete/"

    signed_in = client.post(
        "/login/", {"username": super_admin.email, "password": "a-new-long-password-42"}
    )
    assert signed_in["Location"] == "/"


def test_password_reset_link_works_only_once(client, super_admin):
    client.post("/password-reset/", {"email": super_admin.email})
    link = link_in(mail.outbox[0], "/password-reset/")
    page = client.get(link, follow=True)
    client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "a-new-long-password-42", "new_password2": "a-new-long-password-42"},
    )

    again = client.get(link, follow=True)

    assert again.context["validlink"] is False
    assert "expired" in again.content.decode()


def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(client, portal):
    response = client.post("/password-reset/", {"email": "nobody@nowhere.test"})

    assert response["Location"] == "/password-reset/sent/"
    assert mail.outbox == []
