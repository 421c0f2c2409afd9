"""Celery tasks of the core: thin, each one calls a function that does the work."""

from __future__ import annotations

import smtplib
from typing import Any

from celery import shared_task

from commerce import mail


@shared_task(
    # SMTPException is an OSError; both are named because both are meant: the mail
    # server refusing for now, and the network failing (refused, reset, timed out).
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,  # 30 s, 1 min, 2 min, … with full jitter
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=8,  # about two hours of trying, then the failure is logged
    acks_late=True,
)
def send_email(
    *,
    to: list[str],
    subject: str,
    text: str,
    html: str,
    reply_to: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> None:
    """Sends one rendered message (arguments are JSON: see commerce.notifications).
    A retry after the server took the message but failed to confirm it mails twice,
    which is better than not mailing."""
    mail.email_deliver(
        to=to,
        subject=subject,
        text=text,
        html=html,
        reply_to=reply_to,
        attachments=attachments or (),
    )
