"""Due dates at work: unpaid invoices turn past due the day after their due date (portal
time zone), and the contact is reminded by the portal's schedule: N days before the due
date, on the due date, and every N days after it, up to a maximum count.

Each reminder is claimed by inserting its InvoiceReminder row (unique per invoice, kind
and sequence) before the e-mail is enqueued after commit: a task that runs twice, or
twice at once, sends it exactly once. Only the reminder of the current day is sent: a
beat that was down on the due date does not send "due today" a day late.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from commerce import money
from commerce.clock import format_day, hub_now
from commerce.notifications import send_templated_email

from .emails import email_context
from .kind import INVOICES
from .models import (
    UNPAID_STATUSES,
    Invoice,
    InvoiceEvent,
    InvoiceReminder,
    InvoiceSettings,
    InvoiceStatus,
)
from .services import invoice_settings_for, portal_today

Kind = InvoiceReminder.Kind


def reminder_for_day(
    invoice_settings: InvoiceSettings, due_date: dt.date, today: dt.date
) -> tuple[str, int] | None:
    """(kind, sequence) of the reminder the schedule gives for `today`, if any."""
    days = (due_date - today).days
    if days > 0:
        if invoice_settings.remind_days_before and days == invoice_settings.remind_days_before:
            return Kind.BEFORE_DUE, 0
        return None
    if days == 0:
        return (Kind.ON_DUE, 0) if invoice_settings.remind_on_due_date else None
    every = invoice_settings.remind_every_days_after
    if not every or (-days) % every:
        return None
    sequence = -days // every
    return (Kind.AFTER_DUE, sequence) if sequence <= invoice_settings.remind_max_after else None


@transaction.atomic
def invoice_mark_past_due(*, invoice_id: int, now: dt.datetime | None = None) -> bool:
    """open / partially paid → past due once the due date is over in the portal's time
    zone (locks the invoice). Returns False, changing nothing, when it is not due."""
    invoice = (
        Invoice.objects.select_for_update().select_related("portal").filter(pk=invoice_id).first()
    )
    if invoice is None or not INVOICES.allows(invoice, "mark_past_due"):
        return False
    if portal_today(invoice.portal, now) <= invoice.due_date:
        return False
    INVOICES.move(
        invoice,
        InvoiceStatus.PAST_DUE,
        event=InvoiceEvent.Kind.PAST_DUE,
        detail=f"Due {format_day(invoice.due_date)}",
    )
    INVOICES.record_event(invoice, "invoice.past_due")
    return True


def invoice_send_reminder(*, invoice_id: int, now: dt.datetime | None = None) -> bool:
    """Sends today's reminder of an unpaid invoice, once. Returns whether it sent."""
    invoice = Invoice.objects.select_related("portal", "contact").filter(pk=invoice_id).first()
    if invoice is None or invoice.status not in UNPAID_STATUSES or invoice.contact is None:
        return False
    today = portal_today(invoice.portal, now)
    due = reminder_for_day(invoice_settings_for(portal=invoice.portal), invoice.due_date, today)
    if due is None:
        return False
    kind, sequence = due
    try:
        with transaction.atomic():
            InvoiceReminder.objects.create(invoice=invoice, kind=kind, sequence=sequence)
            # Re-read under the claim: a payment or void that just committed stops it.
            if not Invoice.objects.filter(pk=invoice.pk, status__in=UNPAID_STATUSES).exists():
                raise _NoLongerDue
            days = (invoice.due_date - today).days
            send_templated_email(
                to=[invoice.contact.email],
                template="invoice_reminder",
                context=email_context(invoice, kind=kind, days=abs(days)),
                reply_to=invoice.portal.support_email or None,
            )
            label = InvoiceReminder.Kind(kind).label.lower()
            INVOICES.record(
                invoice,
                InvoiceEvent.Kind.REMINDED,
                detail=f"{label.capitalize()}, to {invoice.contact.email}: "
                f"{money.format_cents(invoice.amount_due, invoice.currency)} due",
            )
    except (IntegrityError, _NoLongerDue):
        return False
    return True


class _NoLongerDue(Exception):
    pass


def invoices_to_sweep(now: dt.datetime | None = None) -> QuerySet[Invoice]:
    """Unpaid invoices whose due date is near or past (the services check each portal's
    day and schedule). 61 days ahead covers the longest 'days before' setting."""
    today = (now or hub_now()).date()
    return Invoice.objects.filter(
        status__in=UNPAID_STATUSES, due_date__lte=today + dt.timedelta(days=61)
    ).order_by("id")
