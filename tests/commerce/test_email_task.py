"""E-mail goes through the `commerce.tasks.send_email` task, enqueued after commit.

The tests run real transactions (`transaction=True`) so "after commit" means what it
means in production; Celery runs tasks eagerly (tests/conftest.py). Faults of the mail
server are injected by patching the e-mail backend's `send_messages`.
"""

from __future__ import annotations

import json
import smtplib

import pytest
from celery.signals import task_prerun
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import transaction

from commerce.celery import app
from commerce.notifications import send_templated_email
from commerce.tasks import send_email

pytestmark = pytest.mark.django_db(transaction=True)


def send_access_notice(portal, user) -> None:
    send_templated_email(
        to=[user.email],
        template="portal_access_added",
        context={"portal": portal, "user": user, "role": "Sales rep", "url": "https://x.test"},
        reply_to="help@acme.test",
    )


@pytest.fixture
def task_runs():
    """The keyword arguments of every send_email run, as the worker received them."""
    runs: list[dict] = []

    def record(sender=None, kwargs=None, **_):
        if sender.name == send_email.name:
            runs.append(kwargs)

    task_prerun.connect(record, weak=False)
    yield runs
    task_prerun.disconnect(record)


@pytest.fixture
def retries_run_in_process():
    """An eager task that propagates its errors raises Retry instead of retrying; one
    that does not propagate retries in-process, at once, as a worker would later."""
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


@pytest.fixture
def flaky_mail_server(monkeypatch):
    """The backend fails the first `failures` sends with `error`, then delivers."""
    deliver = EmailBackend.send_messages
    state = {"failures": 0, "error": smtplib.SMTPServerDisconnected("gone"), "attempts": 0}

    def send_messages(self, messages):
        state["attempts"] += 1
        if state["attempts"] <= state["failures"]:
            raise state["error"]
        return deliver(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_messages)
    return state


def test_mail_is_sent_by_the_task_once_the_transaction_commits(portal, super_admin, task_runs):
    with transaction.atomic():
        send_access_notice(portal, super_admin)
        assert mail.outbox == []
        assert task_runs == []

    [message] = mail.outbox
    assert message.to == [super_admin.email]
    assert message.subject == "You now have access to Acme Test Co. on Commerce Hub"
    assert message.reply_to == ["help@acme.test"]
    assert "Acme Test Co." in message.alternatives[0][0]
    [arguments] = task_runs
    assert json.loads(json.dumps(arguments)) == arguments  # what the broker can carry
    assert arguments["to"] == [super_admin.email]


def test_a_rolled_back_transaction_sends_nothing(portal, super_admin, task_runs):
    with pytest.raises(RuntimeError), transaction.atomic():
        send_access_notice(portal, super_admin)
        raise RuntimeError("the change failed")

    assert task_runs == []
    assert mail.outbox == []


def test_a_transient_smtp_failure_is_retried_and_the_mail_goes_out_once(
    portal, super_admin, flaky_mail_server, task_runs, retries_run_in_process
):
    flaky_mail_server["failures"] = 2

    with transaction.atomic():
        send_access_notice(portal, super_admin)

    assert flaky_mail_server["attempts"] == 3
    assert len(task_runs) == 3
    assert [m.to for m in mail.outbox] == [[super_admin.email]]


def test_a_network_error_is_retried_too(
    portal, super_admin, flaky_mail_server, retries_run_in_process
):
    flaky_mail_server.update(failures=1, error=ConnectionRefusedError("no route"))

    send_access_notice(portal, super_admin)

    assert flaky_mail_server["attempts"] == 2
    assert len(mail.outbox) == 1


def test_a_mail_server_that_stays_down_is_tried_a_bounded_number_of_times(
    portal, super_admin, flaky_mail_server, retries_run_in_process
):
    flaky_mail_server["failures"] = 1_000

    with transaction.atomic():
        send_access_notice(portal, super_admin)

    assert flaky_mail_server["attempts"] == send_email.max_retries + 1 == 9
    assert mail.outbox == []


def test_a_failure_to_send_does_not_break_the_request_that_caused_it(
    client, super_admin, flaky_mail_server
):
    # Here the task's failure surfaces where it is enqueued, as a broker that is down would.
    flaky_mail_server["failures"] = 1_000

    response = client.post("/password-reset/", {"email": super_admin.email})

    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"
    assert flaky_mail_server["attempts"] == 1
    assert mail.outbox == []
