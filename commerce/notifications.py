"""E-mail helpers: every message is rendered from templates/emails/ (HTML + text) by
the caller, with the caller's context, then sent by the `commerce.tasks.send_email`
task, enqueued after the surrounding transaction commits. So a rolled-back change never
mails, no request waits on the mail server, its failures are retried by the task, and a
failure to send or to enqueue is logged, never raised into the request."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db import transaction
from django.template import Context, Engine
from django.template.loader import render_to_string
from django.utils import timezone

from commerce.clock import zone
from commerce.mail import Attachment, AttachmentRef, attachment_payload
from commerce.portals.models import Membership, Portal
from commerce.portals.permissions import Role
from commerce.tasks import send_email

log = logging.getLogger(__name__)


def render_subject(template_name: str, context: dict) -> str:
    """One line of plain text from a subject template. A subject is not HTML: it is
    rendered with autoescaping off, so "Smith & Sons" never arrives as "Smith &amp; Sons"
    (the HTML bodies stay escaped)."""
    template = Engine.get_default().get_template(template_name)
    return " ".join(template.render(Context(context, autoescape=False)).split())


def render_templated_email(*, template: str, context: dict) -> tuple[str, str, str]:
    """Subject (one line, plain text), text and HTML of emails/<template>_subject.txt,
    <template>.txt and <template>.html."""
    # Dates read in the time zone of the portal that writes (a task has none active).
    portal = context.get("portal")
    with timezone.override(zone(getattr(portal, "time_zone", None) or "UTC")):
        subject = render_subject(f"emails/{template}_subject.txt", context)
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    return subject, text, html


def _message(
    *,
    to: list[str],
    subject: str,
    text: str,
    html: str,
    reply_to: str | None,
    attachments: Iterable[AttachmentRef | Attachment],
) -> dict[str, Any]:
    """The task's arguments: JSON only."""
    return {
        "to": to,
        "subject": subject,
        "text": text,
        "html": html,
        "reply_to": reply_to,
        "attachments": [attachment_payload(attachment) for attachment in attachments],
    }


def _enqueue(message: dict[str, Any]) -> None:
    try:
        send_email.delay(**message)
    except Exception:
        # A broker that is down, or (tasks run eagerly) a send that failed for good,
        # must not break the request that caused the e-mail.
        log.exception("E-mail %r to %s could not be sent", message["subject"], message["to"])


def email_enqueue(
    *,
    to: list[str],
    subject: str,
    text: str,
    html: str,
    reply_to: str | None = None,
    attachments: Iterable[AttachmentRef | Attachment] = (),
) -> None:
    """Enqueues the sending of a rendered message now: for callers that already run
    after commit (the membership e-mails) or that change nothing (password reset)."""
    _enqueue(
        _message(
            to=to, subject=subject, text=text, html=html, reply_to=reply_to, attachments=attachments
        )
    )


def send_templated_email(
    *,
    to: Iterable[str],
    template: str,
    context: dict,
    reply_to: str | None = None,
    attachments: Iterable[AttachmentRef | Attachment] = (),
) -> None:
    """Renders emails/<template>_subject.txt, <template>.txt and <template>.html now and
    enqueues the sending after commit. Pass a document's PDF as an `AttachmentRef`: the
    task renders it then, outside the caller's transaction and its row locks."""
    recipients = [address for address in to if address]
    if not recipients:
        return
    subject, text, html = render_templated_email(template=template, context=context)
    message = _message(
        to=recipients,
        subject=subject,
        text=text,
        html=html,
        reply_to=reply_to,
        attachments=attachments,
    )
    transaction.on_commit(partial(_enqueue, message))


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
