"""Password-reset and invitation e-mails are rate limited per recipient and per client
address, without telling whether an e-mail address has an account."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from commerce.portals.models import Membership
from tests.factories import MembershipFactory, UserFactory
from tests.portals.helpers import messages_of

pytestmark = pytest.mark.django_db


def reset(client, email, address="198.51.100.1"):
    return client.post("/password-reset/", {"email": email}, REMOTE_ADDR=address)


def test_password_reset_e_mails_to_one_address_are_limited(client, super_admin, settings):
    limit = settings.EMAIL_LINKS_PER_RECIPIENT_PER_HOUR
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        # Each request from another address, so only the recipient's limit applies
        responses = [reset(client, super_admin.email, f"203.0.113.{i}") for i in range(limit + 3)]

        # The page reads the same every time; only the first `limit` e-mails go out
        assert {r["Location"] for r in responses} == {"/password-reset/sent/"}
        assert len(mail.outbox) == limit

        # An hour later the next one goes out
        clock.shift(dt.timedelta(minutes=61))
        assert reset(client, super_admin.email, "192.0.2.1")["Location"] == "/password-reset/sent/"
        assert len(mail.outbox) == limit + 1


def test_password_reset_requests_from_one_address_are_limited(client, super_admin, settings):
    limit = settings.EMAIL_LINKS_PER_CLIENT_PER_HOUR
    for i in range(limit):
        assert reset(client, f"nobody{i}@acme.test").status_code == 302

    refused = reset(client, super_admin.email)

    assert refused.status_code == 429
    assert "Too many requests from your network" in refused.content.decode()
    assert mail.outbox == []
    # Another address is served
    assert reset(client, super_admin.email, "192.0.2.1").status_code == 302
    assert len(mail.outbox) == 1


def test_the_limited_answer_is_the_same_for_known_and_unknown_addresses(
    client, super_admin, settings
):
    limit = settings.EMAIL_LINKS_PER_RECIPIENT_PER_HOUR
    known = [reset(client, super_admin.email, f"203.0.113.{i}") for i in range(limit + 1)]
    unknown = [reset(client, "nobody@acme.test", f"203.0.113.{i}") for i in range(limit + 1)]

    assert [(r.status_code, r["Location"]) for r in known] == [
        (r.status_code, r["Location"]) for r in unknown
    ]
    # And over the client limit, the refusal reads the same too
    for i in range(settings.EMAIL_LINKS_PER_CLIENT_PER_HOUR):
        reset(client, f"x{i}@acme.test", "192.0.2.50")
    known_refused = reset(client, super_admin.email, "192.0.2.50")
    unknown_refused = reset(client, "nobody@acme.test", "192.0.2.50")
    assert known_refused.status_code == unknown_refused.status_code == 429
    assert known_refused.content.decode().replace(
        super_admin.email, "EMAIL"
    ) == unknown_refused.content.decode().replace("nobody@acme.test", "EMAIL").replace(
        _csrf(unknown_refused), _csrf(known_refused)
    )


def _csrf(response) -> str:
    body = response.content.decode()
    marker = 'name="csrfmiddlewaretoken" value="'
    start = body.index(marker) + len(marker)
    return body[start : body.index('"', start)]


# --- Invitations ------------------------------------------------------------------


def test_resending_an_invitation_is_limited_per_recipient(
    admin_client_, portal, settings, django_capture_on_commit_callbacks
):
    invited = UserFactory(email="new@acme.test", password=None)
    invited.set_unusable_password()
    invited.save()
    membership = MembershipFactory(portal=portal, user=invited)
    limit = settings.EMAIL_LINKS_PER_RECIPIENT_PER_HOUR

    with django_capture_on_commit_callbacks(execute=True):
        for i in range(limit):
            admin_client_.post(
                f"/settings/team/{membership.pk}/resend/", REMOTE_ADDR=f"203.0.113.{i}"
            )
        refused = admin_client_.post(f"/settings/team/{membership.pk}/resend/", follow=True)

    assert len(mail.outbox) == limit
    assert any("Too many e-mails to new@acme.test" in m for m in messages_of(refused))


def test_inviting_is_limited_per_client_address(
    admin_client_, portal, settings, django_capture_on_commit_callbacks
):
    limit = settings.EMAIL_LINKS_PER_CLIENT_PER_HOUR
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(limit):
            response = admin_client_.post(
                "/settings/team/invite/", {"email": f"p{i}@acme.test", "role": "sales_rep"}
            )
            assert response.status_code == 302
        refused = admin_client_.post(
            "/settings/team/invite/", {"email": "one-more@acme.test", "role": "sales_rep"}
        )

    assert refused.status_code == 429
    assert "Too many invitations from your network" in refused.content.decode()
    assert len(mail.outbox) == limit
    # Nothing changed for the refused one
    assert not Membership.objects.filter(user__email="one-more@acme.test").exists()


def test_inviting_the_same_address_again_and_again_is_limited(
    admin_client_, portal, settings, django_capture_on_commit_callbacks
):
    limit = settings.EMAIL_LINKS_PER_RECIPIENT_PER_HOUR
    for i in range(limit):
        with django_capture_on_commit_callbacks(execute=True):
            admin_client_.post(
                "/settings/team/invite/",
                {"email": "again@acme.test", "role": "sales_rep"},
                REMOTE_ADDR=f"203.0.113.{i}",
            )
        Membership.objects.filter(user__email="again@acme.test").delete()
    with django_capture_on_commit_callbacks(execute=True):
        refused = admin_client_.post(
            "/settings/team/invite/",
            {"email": "again@acme.test", "role": "sales_rep"},
            REMOTE_ADDR="192.0.2.1",
        )

    assert refused.status_code == 429
    assert "Too many e-mails to again@acme.test" in refused.content.decode()
    assert len(mail.outbox) == limit
    assert not Membership.objects.filter(user__email="again@acme.test").exists()
