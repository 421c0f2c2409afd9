"""PortalMiddleware: request.portal from the session, fallback, removed membership."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from commerce.portals.middleware import SESSION_KEY, PortalMiddleware
from tests.factories import MembershipFactory, PortalFactory, UserFactory

pytestmark = pytest.mark.django_db


class _Session(dict):
    modified = False


def _request(user, session=None):
    from django.contrib.messages.storage.fallback import FallbackStorage

    request = RequestFactory().get("/")
    request.user = user
    request.session = _Session(session or {})
    request._messages = FallbackStorage(request)
    return request


def _run(request):
    seen = {}

    def view(req):
        seen["portal"] = req.portal
        seen["membership"] = req.membership
        seen["tz"] = timezone.get_current_timezone_name()
        return HttpResponse()

    PortalMiddleware(view)(request)
    return seen


def test_portal_comes_from_the_session_when_the_user_is_a_member():
    user = UserFactory()
    first, second = PortalFactory(), PortalFactory(time_zone="America/Chicago")
    MembershipFactory(user=user, portal=first)
    MembershipFactory(user=user, portal=second, role="billing_admin")

    seen = _run(_request(user, {SESSION_KEY: second.pk}))

    assert seen["portal"] == second
    assert seen["membership"].role == "billing_admin"


def test_without_a_session_choice_the_oldest_membership_is_used_and_remembered():
    user = UserFactory()
    first, second = PortalFactory(), PortalFactory()
    MembershipFactory(user=user, portal=first)
    MembershipFactory(user=user, portal=second)
    request = _request(user)

    seen = _run(request)

    assert seen["portal"] == first
    assert request.session[SESSION_KEY] == first.pk


def test_a_portal_in_the_session_that_the_user_left_falls_back_to_another_membership():
    user = UserFactory()
    kept, left = PortalFactory(name="Kept"), PortalFactory(name="Left")
    MembershipFactory(user=user, portal=kept)
    removed = MembershipFactory(user=user, portal=left)
    request = _request(user, {SESSION_KEY: left.pk})
    removed.delete()

    seen = _run(request)

    assert seen["portal"] == kept
    assert request.session[SESSION_KEY] == kept.pk
    assert any("Kept" in str(m) for m in request._messages)


def test_a_portal_id_the_user_never_belonged_to_is_ignored():
    user = UserFactory()
    own, foreign = PortalFactory(), PortalFactory()
    MembershipFactory(user=user, portal=own)

    seen = _run(_request(user, {SESSION_KEY: foreign.pk}))

    assert seen["portal"] == own


def test_a_user_removed_from_their_only_portal_has_no_portal():
    user = UserFactory()
    membership = MembershipFactory(user=user)
    request = _request(user, {SESSION_KEY: membership.portal_id})
    membership.delete()

    seen = _run(request)

    assert seen["portal"] is None and seen["membership"] is None
    assert SESSION_KEY not in request.session


def test_anonymous_requests_have_no_portal():
    from django.contrib.auth.models import AnonymousUser

    seen = _run(_request(AnonymousUser()))

    assert seen["portal"] is None


def test_dates_render_in_the_portal_time_zone_during_the_request():
    user = UserFactory()
    MembershipFactory(user=user, portal=PortalFactory(time_zone="America/Los_Angeles"))

    seen = _run(_request(user))

    assert seen["tz"] == "America/Los_Angeles"
    assert timezone.get_current_timezone_name() == "UTC"


def test_removed_member_loses_access_on_the_next_request(client, portal, super_admin, sales_rep):
    client.force_login(sales_rep)
    assert client.get("/settings/").status_code == 200
    sales_rep.memberships.get(portal=portal).delete()

    response = client.get("/settings/")

    assert response.status_code == 403
    assert "not in a portal" in response.content.decode()
