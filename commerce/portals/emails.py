"""E-mails about portal access: invitations and "you were added" notices.

Called after commit by the services, with ids, so they read committed state and a
rolled-back invitation never sends anything.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from commerce.notifications import email_enqueue, render_templated_email

from .models import Membership


def send_templated_email(*, to: str, template: str, context: dict) -> None:
    """Renders templates/emails/<template>_subject.txt, .txt and .html and enqueues the
    sending at once (the callers already run after commit)."""
    subject, text, html = render_templated_email(template=template, context=context)
    email_enqueue(to=[to], subject=subject, text=text, html=html)


def invitation_url(membership: Membership) -> str:
    """A link that lets the invited user choose a password (Django's password-reset
    token: it stops working once a password is set, or after PASSWORD_RESET_TIMEOUT)."""
    user = membership.user
    path = reverse(
        "settings:invite_accept",
        kwargs={
            "portal_id": membership.portal.public_id,
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL + path


def send_membership_email(*, membership_id: int) -> None:
    """Sends the invitation (no password yet) or the notice (existing account)."""
    membership = (
        Membership.objects.select_related("portal", "user", "invited_by")
        .filter(pk=membership_id)
        .first()
    )
    if membership is None:  # removed before the e-mail went out
        return
    user = membership.user
    context = {
        "portal": membership.portal,
        "user": user,
        "inviter": membership.invited_by,
        "role": membership.get_role_display(),
        "site_url": settings.SITE_URL,
        "expires_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    if user.has_usable_password():
        context["url"] = settings.SITE_URL + reverse("login")
        send_templated_email(to=user.email, template="portal_access_added", context=context)
    else:
        context["url"] = invitation_url(membership)
        send_templated_email(to=user.email, template="portal_invitation", context=context)
