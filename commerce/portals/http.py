"""The request a view behind `portal_view` gets: a signed-in user with an active portal.

`PortalMiddleware` sets `portal` and `membership`, and `portal_view` refuses the request
before the view runs unless the user is signed in and a member, so the view may rely
on all three. Only a type: nothing creates one; annotate the view's `request` with it.
"""

from __future__ import annotations

from django.http import HttpRequest

from .models import Membership, Portal, User


class AuthenticatedHttpRequest(HttpRequest):
    user: User
    portal: Portal
    membership: Membership
