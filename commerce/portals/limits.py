"""Limits on the e-mails with a link that anyone can make the hub send: password resets
(anyone, signed out) and invitations (super admins). Counted per client address and per
recipient in the cache (commerce/ratelimit.py), per hour; the limits are settings."""

from __future__ import annotations

from enum import Enum

from django.conf import settings
from django.http import HttpRequest

from commerce.ratelimit import client_address, rate_limit_hit


class Limited(Enum):
    NO = ""
    CLIENT = "client"
    RECIPIENT = "recipient"


def email_link_limit(*, kind: str, request: HttpRequest, recipient: str) -> Limited:
    """Counts one request for an e-mail of `kind` ("password-reset", "invitation") to
    `recipient` and says which limit, if any, it is over. The recipient is counted
    whether or not it has an account, so a refusal tells nothing about that. A client
    over its limit is not counted against the recipient."""
    if rate_limit_hit(
        scope=f"{kind}:client",
        key=client_address(request),
        limit=settings.EMAIL_LINKS_PER_CLIENT_PER_HOUR,
    ):
        return Limited.CLIENT
    if rate_limit_hit(
        scope=f"{kind}:recipient",
        key=recipient,
        limit=settings.EMAIL_LINKS_PER_RECIPIENT_PER_HOUR,
    ):
        return Limited.RECIPIENT
    return Limited.NO
