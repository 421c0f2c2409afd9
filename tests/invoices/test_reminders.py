"""Past due after the due date (portal time zone) and reminders exactly once each."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from invoices import emails, services
from invoices.models import InvoiceReminder, InvoiceStatus
from invoices.reminders import invoice_send_reminder
from invoices.tasks import sweep_invoices

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


def at(year, month, day, hour=0, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


@pytest.fixture
def invoice(make_invoice, portal):
    """Due March 31 (net 30 from March 1); default schedule: 3 days before, on the day,
    then every 7 days, at most 3 times."""
    portal.time_zone = "America/New_York"
    portal.save()
    with time_machine.travel(at(2026, 3, 1, 9), tick=False):
        return make_invoice(issue_date=dt.date(2026, 3, 1), finalize=True)


def run_on(moment, mails):
    with time_machine.travel(moment, tick=False), mails(execute=True):
        return sweep_invoices.delay().get()


def test_invoice_turns_past_due_after_its_due_day_in_the_portal_time_zone(
    invoice, django_capture_on_commit_callbacks
):
    mails = django_capture_on_commit_callbacks
    # 23:59 in New York on the 31st is already April 1 in UTC: not past due yet.
    assert run_on(at(2026, 3, 31, 23, 59), mails)["past_due"] == 0
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN
    assert run_on(at(2026, 4, 1, 0, 1), mails)["past_due"] == 1
    assert run_on(at(2026, 4, 1, 0, 2), mails)["past_due"] == 0  # a second run: no change
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAST_DUE
    assert invoice.events.filter(kind="past_due").count() == 1


def test_reminder_schedule_sends_each_reminder_exactly_once(
    invoice, django_capture_on_commit_callbacks
):
    mails = django_capture_on_commit_callbacks
    days = [dt.date(2026, 3, 1) + dt.timedelta(days=n) for n in range(0, 70)]
    for day in days:
        for hour in (0, 13):  # twice a day: the second run finds everything claimed
            run_on(at(day.year, day.month, day.day, hour, 5), mails)
    sent = list(InvoiceReminder.objects.values_list("kind", "sequence", "sent_at"))
    assert [(k, s) for k, s, _ in sent] == [
        ("before_due", 0),
        ("on_due", 0),
        ("after_due", 1),
        ("after_due", 2),
        ("after_due", 3),
    ]
    dates = [when.astimezone(NEW_YORK).date() for _, _, when in sent]
    assert dates == [
        dt.date(2026, 3, 28),
        dt.date(2026, 3, 31),
        dt.date(2026, 4, 7),
        dt.date(2026, 4, 14),
        dt.date(2026, 4, 21),
    ]
    assert len(mail.outbox) == 5
    assert all(m.to == ["buyer@client.test"] for m in mail.outbox)
    assert "due Mar 31" in mail.outbox[0].subject
    assert "due today" in mail.outbox[1].subject
    assert mail.outbox[2].subject.startswith("Past due")
    assert "7 days ago" in mail.outbox[2].body
    assert emails.public_url(invoice) in mail.outbox[0].body
    assert invoice.events.filter(kind="reminded").count() == 5


def test_calling_the_reminder_twice_on_the_same_day_sends_once(
    invoice, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(at(2026, 3, 31, 8), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert invoice_send_reminder(invoice_id=invoice.pk) is True
        assert invoice_send_reminder(invoice_id=invoice.pk) is False
    assert len(mail.outbox) == 1


def test_reminders_stop_on_payment_and_on_void(
    invoice, make_invoice, django_capture_on_commit_callbacks
):
    mails = django_capture_on_commit_callbacks
    with time_machine.travel(at(2026, 3, 1, 9), tick=False):
        other = make_invoice(issue_date=dt.date(2026, 3, 1), finalize=True)
    with time_machine.travel(at(2026, 3, 10, 9), tick=False):
        services.invoice_record_payment(
            invoice=invoice,
            actor=None,
            method="bank_transfer",
            amount=invoice.total,
            paid_on=dt.date(2026, 3, 10),
        )
        services.invoice_void(invoice=other, actor=None)
    for day in range(25, 32):
        run_on(at(2026, 3, day, 9), mails)
    assert run_on(at(2026, 4, 7, 9), mails) == {"past_due": 0, "reminded": 0}
    assert not InvoiceReminder.objects.exists()
    assert mail.outbox == []


def test_a_partially_paid_invoice_is_still_reminded_and_turns_past_due(
    invoice, django_capture_on_commit_callbacks
):
    mails = django_capture_on_commit_callbacks
    with time_machine.travel(at(2026, 3, 2, 9), tick=False):
        services.invoice_record_payment(
            invoice=invoice, actor=None, method="cash", amount=1_000, paid_on=dt.date(2026, 3, 2)
        )
    assert run_on(at(2026, 3, 31, 9), mails)["reminded"] == 1
    assert run_on(at(2026, 4, 1, 9), mails)["past_due"] == 1
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAST_DUE and invoice.amount_due == 10_000
    assert "$100.00" in mail.outbox[0].body


def test_a_missed_day_is_not_sent_late(invoice, django_capture_on_commit_callbacks):
    # The beat was down on the due date: nothing "due today" goes out a day late.
    assert run_on(at(2026, 4, 1, 9), django_capture_on_commit_callbacks)["reminded"] == 0
    assert mail.outbox == []


def test_reminder_kinds_can_be_switched_off(invoice, portal, django_capture_on_commit_callbacks):
    services.invoice_settings_update(
        portal=portal,
        prefix="INV-",
        remind_days_before=None,
        remind_on_due_date=False,
        remind_every_days_after=None,
    )
    for day in (28, 31):
        run_on(at(2026, 3, day, 9), django_capture_on_commit_callbacks)
    run_on(at(2026, 4, 7, 9), django_capture_on_commit_callbacks)
    assert mail.outbox == []
