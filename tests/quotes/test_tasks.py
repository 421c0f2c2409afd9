"""Expiry at the end of the expiry day (portal time zone) and the once-only reminder."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from quotes import services
from quotes.models import QuoteNotice, QuoteStatus
from quotes.tasks import sweep_quotes

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


def at(year, month, day, hour=0, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


@pytest.fixture
def published(make_quote, portal):
    portal.time_zone = "America/New_York"
    portal.save()
    with time_machine.travel(at(2026, 3, 1, 9), tick=False):
        return make_quote(expires_on=dt.date(2026, 3, 20), publish=True)


def test_quote_expires_at_the_end_of_its_expiry_day_in_the_portal_time_zone(published, client):
    # 23:59 in New York on the 20th is already the 21st in UTC: still valid.
    with time_machine.travel(at(2026, 3, 20, 23, 59), tick=False):
        assert sweep_quotes.delay().get()["expired"] == 0
        published.refresh_from_db()
        assert published.status == QuoteStatus.PUBLISHED
    with time_machine.travel(at(2026, 3, 21, 0, 0), tick=False):
        assert sweep_quotes.delay().get()["expired"] == 1
        assert sweep_quotes.delay().get()["expired"] == 0  # a second run changes nothing
        published.refresh_from_db()
        assert published.status == QuoteStatus.EXPIRED
        assert published.events.filter(kind="expired").count() == 1
        response = client.get(reverse("quotes:public", args=[published.public_token]))
        assert "expired on Mar 20, 2026" in response.content.decode()
        response = client.post(
            reverse("quotes:public_accept", args=[published.public_token]),
            {"signed_name": "Bea Buyer", "agree": "on"},
        )
        assert response.status_code == 400
        published.refresh_from_db()
        assert published.status == QuoteStatus.EXPIRED


def test_past_expiry_page_accepts_nothing_even_before_the_task_runs(published, client):
    with time_machine.travel(at(2026, 3, 22, 10), tick=False):
        response = client.post(
            reverse("quotes:public_accept", args=[published.public_token]),
            {"signed_name": "Bea Buyer", "agree": "on"},
        )
        assert response.status_code == 400
        assert "expired on Mar 20, 2026" in response.content.decode()
        published.refresh_from_db()
        assert published.status == QuoteStatus.PUBLISHED
        assert not published.accepted_name


def test_owner_is_reminded_three_days_before_expiry_exactly_once(
    published, sales_rep, django_capture_on_commit_callbacks
):
    mails = django_capture_on_commit_callbacks
    with time_machine.travel(at(2026, 3, 16, 12), tick=False), mails(execute=True):
        assert sweep_quotes.delay().get()["reminded"] == 0  # four days before
    with time_machine.travel(at(2026, 3, 17, 0, 5), tick=False), mails(execute=True):
        assert sweep_quotes.delay().get()["reminded"] == 1  # three days before
        assert sweep_quotes.delay().get()["reminded"] == 0
        assert services.quote_remind_expiry(quote_id=published.pk) is False
    with time_machine.travel(at(2026, 3, 19, 9), tick=False), mails(execute=True):
        assert sweep_quotes.delay().get()["reminded"] == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [sales_rep.email]
    assert "expires on Mar 20, 2026" in mail.outbox[0].subject
    notices = QuoteNotice.objects.filter(user=sales_rep)
    assert [n.text for n in notices] == [f"{published.display_number} expires in 3 days."]
    assert published.events.filter(kind="reminded").count() == 1


def test_republishing_after_a_revert_allows_a_new_reminder(
    published, django_capture_on_commit_callbacks
):
    mails = django_capture_on_commit_callbacks
    with time_machine.travel(at(2026, 3, 18, 9), tick=False), mails(execute=True):
        assert services.quote_remind_expiry(quote_id=published.pk)
        services.quote_revert(quote=published, actor=None)
        services.quote_publish(quote=published, actor=None)
        assert services.quote_remind_expiry(quote_id=published.pk)
    assert len(mail.outbox) == 2


def test_drafts_are_neither_expired_nor_reminded(make_quote, portal):
    with time_machine.travel(at(2026, 3, 1, 9), tick=False):
        draft = make_quote(expires_on=dt.date(2026, 3, 2))
    with time_machine.travel(at(2026, 3, 5, 9), tick=False):
        assert sweep_quotes.delay().get() == {"expired": 0, "reminded": 0}
    draft.refresh_from_db()
    assert draft.status == QuoteStatus.DRAFT
