"""Exactly once with real Celery worker processes on Redis and PostgreSQL.

Two prefork workers (`-Q billing,celery -c 2`) bill the issue's 500 due subscriptions
against fakestripe; one is SIGKILLed at a random point mid-run and restarted.
Afterwards every subscription-period has exactly one succeeded PaymentIntent in
fakestripe and one Payment in the hub. The second test does the same while fakestripe
answers PaymentIntent creations with 429s, 500s and dropped connections (before and
after the intent is saved, spread over the whole run), the run is enqueued twice and
every batch is duplicated. The third checks that the Stripe request budget is shared
by every worker process (through Redis), from when fakestripe received each request.

Recovery after the kill comes from the lease (SUBSCRIPTION_BILLING_LEASE_SECONDS, short
here) and the next run re-sending the same keys; acks_late redelivery of the killed
batch is a second path, which on Redis only happens after the broker's visibility
timeout (an hour by default), so it is not waited for here.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from payments.models import Payment
from subscriptions.billing import STRIPE_BUDGET
from subscriptions.models import BillingAttempt, Subscription
from tests.request_log import busiest_second, span

from .support import CREATE, make_subscription, saved_card

ROOT = Path(__file__).resolve().parents[2]
N = 500
FAULTS = ("rate_limit", "server_error", "drop")


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] or "postgres"
    if s.get("PASSWORD"):
        auth += f":{s['PASSWORD']}"
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _broker_url(redis_url: str) -> str:
    """A Redis database of its own per xdist worker: the workers started here must not
    take (or purge) the tasks of another test process."""
    broker = os.environ.get("CELERY_BROKER_URL", "")
    base = broker if broker.startswith("redis://") else redis_url
    worker = "".join(ch for ch in os.environ.get("PYTEST_XDIST_WORKER", "") if ch.isdigit())
    return base.rsplit("/", 1)[0] + f"/{6 + int(worker or 0)}"


@pytest.fixture
def worker_env(postgres, redis_url, stripe_hub, tmp_path) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": _broker_url(redis_url),
        "STRIPE_SECRET_KEY": stripe_hub.secret_key,
        "STRIPE_PUBLISHABLE_KEY": stripe_hub.publishable_key,
        "STRIPE_API_BASE": stripe_hub.url,
        "STRIPE_RETRY_BASE_SECONDS": "0.05",
        "STRIPE_RETRY_MAX_SECONDS": "0.5",
        "SUBSCRIPTION_BILLING_LEASE_SECONDS": "4",
        "SUBSCRIPTION_BILLING_BATCH_SIZE": "10",
        "SUBSCRIPTION_STRIPE_REQUESTS_PER_SECOND": "0",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "VAR_DIR": str(tmp_path),
        "EMAIL_URL": "dummymail://",
        "CI": "",
    }
    _manage(env, "from commerce.celery import app; app.control.purge()")
    return env


def _manage(env: dict[str, str], code: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )


def _enqueue_run(env: dict[str, str], times: int = 1, duplicate_batches: bool = False) -> None:
    code = "from subscriptions.tasks import billing_run\n" + "billing_run.delay()\n" * times
    if duplicate_batches:
        code += (
            "from subscriptions import billing, tasks\n"
            "ids = billing.billing_due_ids()\n"
            "for i in range(0, len(ids), 10):\n"
            "    tasks.billing_charge_batch.apply_async(args=(ids[i:i+10],), queue='billing')\n"
        )
    _manage(env, code)


class Worker:
    def __init__(self, env: dict[str, str], name: str, log_dir: Path) -> None:
        self.log = open(log_dir / f"{name}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "commerce",
                "worker",
                "-Q",
                "billing,celery",
                "-P",
                "prefork",
                "-c",
                "2",
                "-n",
                f"{name}@%h",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


def _due_subscriptions(portal, stripe_hub, account: str, n: int = N) -> list[int]:
    customer, pm = saved_card(stripe_hub, account)
    today = timezone.localdate()
    start = today - timedelta(days=31)
    return [
        make_subscription(
            portal,
            account=account,
            customer=customer,
            payment_method=pm,
            start=start,
            next_billing_date=today,
        ).pk
        for _ in range(n)
    ]


def _wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _all_intents(stripe_hub, account: str) -> list[dict]:
    client = stripe_hub.client(stripe_account=account)
    intents, params = [], {"limit": 100}
    while True:
        page = client.v1.payment_intents.list(params)
        intents.extend(pi.to_dict() for pi in page.data)
        if not page.has_more:
            return intents
        params = {"limit": 100, "starting_after": page.data[-1].id}


def _assert_exactly_once(stripe_hub, account: str, ids: list[int]) -> None:
    succeeded = Counter(
        (pi["metadata"].get("subscription"), pi["metadata"].get("period"))
        for pi in _all_intents(stripe_hub, account)
        if pi["status"] == "succeeded"
    )
    expected = {(str(pk), "2") for pk in ids}
    assert set(succeeded) == expected
    assert all(count == 1 for count in succeeded.values()), succeeded.most_common(3)
    assert Payment.objects.filter(source=Payment.Source.SUBSCRIPTION).count() == len(ids)
    assert Subscription.objects.filter(pk__in=ids, periods_billed=2).count() == len(ids)


def _billed() -> int:
    return Payment.objects.filter(source=Payment.Source.SUBSCRIPTION).count()


def _bill_all(env: dict[str, str], n: int, timeout: float) -> None:
    """What beat does every few minutes: later runs pick up what a dead worker held."""
    deadline = time.monotonic() + timeout
    while _billed() < n and time.monotonic() < deadline:
        time.sleep(3)
        _enqueue_run(env)
    _wait_until(lambda: _billed() >= n, 30, "all billed")
    time.sleep(1)  # let any straggling duplicate finish before counting


def _kill_one_worker_mid_run(
    env: dict[str, str], log_dir: Path, *, n: int, duplicate: bool = False
) -> None:
    """Two workers bill; at a random point between a fifth and a half of the run one is
    SIGKILLed (its whole process group: the pool children die mid-batch) and a fresh
    one started; beat-like runs then pick up what the dead worker held."""
    workers = [Worker(env, f"w{i}", log_dir) for i in (1, 2)]
    try:
        _enqueue_run(env, times=2 if duplicate else 1, duplicate_batches=duplicate)
        kill_at = random.randint(n // 5, n // 2)
        _wait_until(lambda: _billed() >= kill_at, 90, "a random point mid-run")
        workers[0].kill()
        assert _billed() < n, "the kill must land mid-run"
        workers[0] = Worker(env, "w1-restarted", log_dir)
        _bill_all(env, n, 150)
    finally:
        for worker in workers:
            worker.stop()


def test_sigkilled_worker_mid_run_charges_every_period_exactly_once(
    transactional_db, worker_env, stripe_hub, ready_account, portal, tmp_path
):
    ids = _due_subscriptions(portal, stripe_hub, ready_account.stripe_id)
    # Slow Stripe a little so the kill lands while batches are in flight.
    stripe_hub.inject_failure("/v1/payment_intents", kind="delay", count=N, delay_seconds=0.05)

    _kill_one_worker_mid_run(worker_env, tmp_path, n=N)

    _assert_exactly_once(stripe_hub, ready_account.stripe_id, ids)
    assert not BillingAttempt.objects.filter(status=BillingAttempt.Status.PENDING).exists()


def _inject_faults_throughout(stripe_hub, *, requests: int) -> int:
    """429s, 500s and dropped connections on PaymentIntent creation, spread over the
    first `requests` calls: fakestripe applies the first matching injection to each
    call, so short delays in between space the faults out (and slow Stripe a little,
    so the kill lands mid-run). Before the call executes (nothing saved for the key)
    and after it (the intent exists, the answer is lost). Returns the faults injected."""
    faults = 0
    for when, spacing, run_of, pause in (("before", 16, 3, 0.03), ("after", 20, 2, 0.0)):
        injected = 0
        while injected + len(FAULTS) * (spacing + run_of) <= requests:
            for kind in FAULTS:
                stripe_hub.inject_failure(
                    "/v1/payment_intents",
                    kind="delay",
                    when=when,
                    count=spacing,
                    delay_seconds=pause,
                )
                stripe_hub.inject_failure("/v1/payment_intents", kind=kind, when=when, count=run_of)
                injected += spacing + run_of
                faults += run_of
    return faults


def test_sigkilled_worker_with_injected_stripe_faults_and_duplicated_tasks_charges_once(
    transactional_db, worker_env, stripe_hub, ready_account, portal, tmp_path
):
    ids = _due_subscriptions(portal, stripe_hub, ready_account.stripe_id)
    faults = _inject_faults_throughout(stripe_hub, requests=N - 50)
    assert faults >= 90

    _kill_one_worker_mid_run(worker_env, tmp_path, n=N, duplicate=True)

    _assert_exactly_once(stripe_hub, ready_account.stripe_id, ids)
    assert not BillingAttempt.objects.filter(status=BillingAttempt.Status.PENDING).exists()
    left = stripe_hub.control("failures", "GET")["failures"]
    assert not [f for f in left if f["kind"] != "delay"], "every fault was served mid-run"


def test_request_budget_is_shared_by_every_worker_process(
    transactional_db, worker_env, stripe_hub, ready_account, portal, tmp_path
):
    env = {
        **worker_env,
        "SUBSCRIPTION_STRIPE_REQUESTS_PER_SECOND": "20",
        "SUBSCRIPTION_BILLING_BATCH_SIZE": "5",
    }
    ids = _due_subscriptions(portal, stripe_hub, ready_account.stripe_id, 60)
    workers = [Worker(env, f"w{i}", tmp_path) for i in (1, 2)]
    stripe_hub.reset_stats()
    try:
        _enqueue_run(env)
        _wait_until(lambda: _billed() >= 60, 60, "all billed")
    finally:
        for worker in workers:
            worker.stop()

    _assert_exactly_once(stripe_hub, ready_account.stripe_id, ids)
    # When each creation reached fakestripe, on its own clock (not sampled by the test).
    arrived = stripe_hub.request_times(CREATE)
    # Four pool processes charge at once, yet the 60 requests take 30 slots of 2 (20/s
    # in tenths of a second): at least the 28 whole slots between the first and the
    # last, whose requests may come at the end and at the start of theirs.
    assert span(arrived, 60) >= 28 * 0.1 - 0.05, span(arrived, 60)
    # Sent, no second holds more than the budget plus one slot's share; received, a
    # second may also hold the requests sent just before it and still in flight when
    # it starts: one per sending process (each charges one at a time).
    processes = 2 * 2
    busiest = busiest_second(arrived)
    assert 10 <= busiest <= 20 + STRIPE_BUDGET.burst_for(20) + processes, busiest
