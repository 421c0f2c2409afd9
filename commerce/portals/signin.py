"""Sign-in throttling with django-axes, on the hub's sign-in page and /admin/login/.

Failures are counted in the database per account (the e-mail as typed, normalised, so
unknown addresses are counted like known ones and the answers never tell them apart)
and per client address. Signing in is paused for SIGN_IN_COOL_OFF_MINUTES once an
account has SIGN_IN_FAILURES_PER_ACCOUNT failures from anywhere, or an address has
SIGN_IN_FAILURES_PER_CLIENT failures over any accounts (higher: an office shares one
address). The cool-off counts from the last failure before the pause; attempts during
the pause are refused without being counted. The operator unlocks with axes' admin
(Access attempts) or its `axes_reset*` commands.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from commerce.ratelimit import client_address


def sign_in_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account a sign-in is for, as the hub finds it: e-mails match whatever their
    case or surrounding spaces (`UserManager.get_by_natural_key`), so they are counted
    as one account too."""
    field = settings.AXES_USERNAME_FORM_FIELD
    value = credentials.get(field) if credentials else request.POST.get(field)
    if not isinstance(value, str):
        return None
    return value.strip().lower()[:255] or None


def sign_in_client_address(request: HttpRequest) -> str | None:
    return client_address(request) or None


class SignInThrottle(AxesDatabaseHandler):
    """axes' database handler with one limit per account and another per address, and a
    successful sign-in clearing only that account's failures from that address."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        # AXES_LOCKOUT_PARAMETERS is ["username", "ip_address"]: one queryset each.
        by_account, by_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        account_limit = settings.SIGN_IN_FAILURES_PER_ACCOUNT
        if by_account >= account_limit or by_address >= settings.SIGN_IN_FAILURES_PER_CLIENT:
            return account_limit  # == AXES_FAILURE_LIMIT: paused
        return by_account

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        # axes' own reset deletes every failure from the address too, which would let
        # someone with one account guess other accounts' passwords without end.
        count, _ = AccessAttempt.objects.filter(
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,  # type: ignore[attr-defined]
        ).delete()
        return count


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The hub's page for a paused sign-in (the same for every e-mail, known or not)."""
    cool_off = get_cool_off(request)
    minutes = round(cool_off.total_seconds() / 60) if cool_off else None
    response = render(
        request,
        "registration/sign_in_paused.html",
        {"minutes": minutes},
        status=429,
    )
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
