"""Answers and reminders racing each other (needs PostgreSQL's row locks)."""

import threading

import pytest
from django.db import connection

from quotes import services
from quotes.models import QuoteEvent, QuoteStatus
from tests.quotes.support import days_from_today


def _race(*actions):
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = []

    def run(action):
        try:
            barrier.wait()
            outcomes.append(action())
        except services.QuoteError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_accept_and_decline_at_once_record_exactly_one_answer(postgres, make_quote):
    quote = make_quote(publish=True)

    def accept():
        services.quote_accept(
            quote=quote, signed_name="Bea Buyer", agreed_to_terms=True, ip=None, user_agent=""
        )
        return "accepted"

    def decline():
        services.quote_decline(quote=quote, reason="no")
        return "declined"

    outcomes = _race(accept, decline)
    assert outcomes.count("refused") == 1
    quote.refresh_from_db()
    assert quote.status in (QuoteStatus.ACCEPTED, QuoteStatus.DECLINED)
    answers = QuoteEvent.objects.filter(quote=quote, kind__in=["accepted", "declined"])
    assert answers.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reminder_runs_at_once_send_one_reminder(postgres, make_quote, portal):
    quote = make_quote(expires_on=days_from_today(portal, 2), publish=True)

    def remind():
        return "sent" if services.quote_remind_expiry(quote_id=quote.pk) else "skipped"

    assert _race(remind, remind, remind) == ["sent", "skipped", "skipped"]
    assert QuoteEvent.objects.filter(quote=quote, kind="reminded").count() == 1
