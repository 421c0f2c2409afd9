"""Delivery of one rendered e-mail: the part that talks to the mail server.

A message reaches the `commerce.tasks.send_email` task as JSON: recipients, subject,
bodies and attachments. A document's PDF travels as a reference (kind, object id), and
the task renders it through the renderer that the owning app (quotes, invoices)
registered in its `AppConfig.ready()`. So the core never imports those apps, and a PDF
is rendered after the transaction that locked the document's row has committed, not
while the lock is held.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives

# File name, content and MIME type, as EmailMessage.attach takes them.
Attachment = tuple[str, bytes, str]
AttachmentRenderer = Callable[[int], Attachment]

_renderers: dict[str, AttachmentRenderer] = {}


def register_attachment(kind: str, renderer: AttachmentRenderer) -> None:
    """Called from an `AppConfig.ready()`: `renderer(object_id)` returns the file to
    attach for an `AttachmentRef(kind, object_id)`."""
    registered = _renderers.get(kind)
    if registered is not None and registered is not renderer:
        raise ImproperlyConfigured(f"E-mail attachment kind {kind!r} is registered twice.")
    _renderers[kind] = renderer


@dataclass(frozen=True)
class AttachmentRef:
    """An attachment rendered when the message is sent, by the renderer of `kind`."""

    kind: str
    object_id: int


def attachment_payload(attachment: AttachmentRef | Attachment) -> dict[str, Any]:
    """The JSON form of an attachment, for the task's arguments."""
    if isinstance(attachment, AttachmentRef):
        if attachment.kind not in _renderers:
            raise ImproperlyConfigured(f"No renderer for e-mail attachment {attachment.kind!r}.")
        return {"kind": attachment.kind, "object_id": attachment.object_id}
    name, content, mimetype = attachment
    return {
        "name": name,
        "content_base64": base64.b64encode(content).decode("ascii"),
        "mimetype": mimetype,
    }


def _attachment(payload: Mapping[str, Any]) -> Attachment:
    if "kind" in payload:
        return _renderers[payload["kind"]](payload["object_id"])
    return payload["name"], base64.b64decode(payload["content_base64"]), payload["mimetype"]


def email_deliver(
    *,
    to: list[str],
    subject: str,
    text: str,
    html: str,
    reply_to: str | None = None,
    attachments: Iterable[Mapping[str, Any]] = (),
) -> None:
    """Sends one message now. The mail server's and the network's errors propagate, so
    the task that calls this can retry them."""
    message = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        to,
        reply_to=[reply_to] if reply_to else None,
    )
    if html:
        message.attach_alternative(html, "text/html")
    for payload in attachments:
        message.attach(*_attachment(payload))
    message.send()
