"""Access helpers used by every app: portal_view and get_for_portal."""

import pytest
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from commerce.portals.access import get_for_portal, portal_view
from commerce.portals.models import Membership
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _request(user, membership):
    request = RequestFactory().get("/x/")
    request.user = user
    request.membership = membership
    request.portal = membership.portal if membership else None
    request.session = {}
    return request


def test_get_for_portal_finds_objects_of_the_current_portal(portal, super_admin):
    own = Membership.objects.get(user=super_admin)

    assert get_for_portal(Membership.objects.all(), portal, pk=own.pk) == own


def test_get_for_portal_turns_another_portals_object_into_a_404(portal, other_admin):
    foreign = Membership.objects.get(user=other_admin)

    with pytest.raises(Http404):
        get_for_portal(Membership.objects.all(), portal, pk=foreign.pk)


@pytest.mark.parametrize("bad", ["abc", None, "1;drop"])
def test_get_for_portal_turns_malformed_ids_into_a_404(portal, bad):
    with pytest.raises(Http404):
        get_for_portal(Membership.objects.all(), portal, pk=bad)


def test_portal_view_runs_the_view_for_a_role_with_the_permission(portal, sales_rep):
    view = portal_view("quotes.edit")(lambda request: HttpResponse("ok"))
    membership = Membership.objects.get(user=sales_rep)

    assert view(_request(sales_rep, membership)).content == b"ok"
    assert view.required_permission == "quotes.edit"


def test_portal_view_refuses_a_role_without_the_permission(portal, sales_rep):
    view = portal_view("reports.view")(lambda request: HttpResponse("ok"))

    response = view(_request(sales_rep, Membership.objects.get(user=sales_rep)))

    assert response.status_code == 403


def test_portal_view_sends_anonymous_users_to_login(portal):
    from django.contrib.auth.models import AnonymousUser

    view = portal_view("dashboard.view")(lambda request: HttpResponse("ok"))
    request = RequestFactory().get("/x/?a=1")
    request.user = AnonymousUser()

    response = view(request)

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/x/%3Fa%3D1"


def test_portal_view_explains_when_the_user_has_no_portal(portal):
    user = MembershipFactory().user
    view = portal_view("dashboard.view")(lambda request: HttpResponse("ok"))

    response = view(_request(user, None))

    assert response.status_code == 403
    assert b"not in a portal" in response.content
