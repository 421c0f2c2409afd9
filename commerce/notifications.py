"""E-mail helpers: every message is rendered from templates/emails/ (HTML + text) and
sent after the surrounding transaction commits, so a rolled-back change never mails."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

from commerce.portals.models import Membership, Portal
from commerce.portals.permissions import Role


def send_templated_email(
    *,
    to: Iterable[str],
    template: str,
    context: dict,
    reply_to: str | None = None,
    attachments: Iterable[tuple[str, bytes, str]] = (),
) -> None:
    """Renders emails/<template>_subject.txt, <template>.txt and <template>.html and
    sends them after commit."""
    recipients = [address for address in to if address]
    if not recipients:
        return
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    files = list(attachments)

    def send() -> None:
        message = EmailMultiAlternatives(
            subject,
            text,
            settings.DEFAULT_FROM_EMAIL,
            recipients,
            reply_to=[reply_to] if reply_to else None,
        )
        message.attach_alternative(html, "text/html")
        for name, content, mimetype in files:
            message.attach(name, content, mimetype)
        message.send()

    transaction.on_commit(send)


def portal_admin_emails(
    portal: Portal, roles: Iterable[str] = (Role.SUPER_ADMIN, Role.BILLING_ADMIN)
) -> list[str]:
    return list(
        Membership.objects.filter(
            portal=portal, role__in=list(roles), user__is_active=True
        ).values_list("user__email", flat=True)
    )


def notify_portal(
    *, portal: Portal, template: str, context: dict, roles: Iterable[str] | None = None
) -> None:
    """E-mails the portal's admins (super and billing admins by default)."""
    to = portal_admin_emails(portal, roles) if roles is not None else portal_admin_emails(portal)
    send_templated_email(to=to, template=template, context={"portal": portal, **context})
