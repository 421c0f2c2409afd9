"""At least once with real Celery worker processes on Redis and PostgreSQL.

2,000 events (1,000 contacts and 1,000 products, each made by the services in another
process, so each commit enqueues its delivery on Redis) go to three endpoints: a slow
one, one that fails half its requests (at random, at most 3 times per delivery so the
compressed retry schedule always ends in a success) and a healthy one that only wants
contact.created. Two prefork workers deliver; one is SIGKILLed (its whole process group)
at a random point mid-run and a fresh one started; a sweeper runs every 2 seconds, as
beat would. Afterwards every endpoint got a 2xx for every event it wants, every request
carried a valid signature (checked with the spec by hand), and repeated requests for one
event carry one webhook-id.
"""

from __future__ import annotations

import os
import pprint
import random
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection

from commerce.events import endpoints
from commerce.events.models import Delivery, Event

from .support import spec_signature_valid

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
N = 1000  # contacts, and as many products


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] or "postgres"
    if s.get("PASSWORD"):
        auth += f":{s['PASSWORD']}"
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _broker_url(redis_url: str) -> str:
    """A Redis database of its own per xdist worker (10 and up: the billing workers'
    test uses 6 and up)."""
    worker = "".join(ch for ch in os.environ.get("PYTEST_XDIST_WORKER", "") if ch.isdigit())
    return redis_url.rsplit("/", 1)[0] + f"/{10 + int(worker or 0)}"


@pytest.fixture
def worker_env(postgres, redis_url, tmp_path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": _broker_url(redis_url),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "WEBHOOK_ALLOW_HTTP": "true",
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
        "WEBHOOK_RETRY_SCHEDULE_SECONDS": "0,1,1,1,1,1,1,1",
        "WEBHOOK_DELIVERY_LEASE_SECONDS": "40",
        "WEBHOOK_DELIVERY_BATCH_SIZE": "10",
        "VAR_DIR": str(tmp_path),
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
        "CI": "",
    }


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
                "celery",
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
        os.killpg(self.proc.pid, 9)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(10)
        self.log.close()


def _make_events(env: dict[str, str], portal_id: int) -> subprocess.Popen:
    code = (
        "from commerce.catalog.services import product_create\n"
        "from commerce.customers.services import contact_create\n"
        "from commerce.portals.models import Portal\n"
        f"p = Portal.objects.get(pk={portal_id})\n"
        f"for i in range({N}):\n"
        "    contact_create(portal=p, email=f'c{i}@example.com')\n"
        "    product_create(portal=p, name=f'P{i}', unit_price=100 + i)\n"
    )
    return subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _ok(receiver, path: str) -> int:
    return len({r.json["id"] for r in receiver.at(path) if 200 <= r.status < 300})


def _stuck(receiver, wants: dict[str, int], log_dir: Path, producer, workers) -> dict:
    """What a timed-out run left, for the failure message: the counts, the deliveries
    not succeeded, events not fanned out, open transactions and the workers' logs."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, now() - xact_start, left(query, 120) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND state <> 'idle'"
        )
        activity = cursor.fetchall()
    inspect = producer.control.inspect(timeout=3)
    with producer.connection_for_write() as conn:
        client = conn.default_channel.client
        broker = {"queued": client.llen("celery"), "unacked": client.hlen("unacked")}
    return {
        "workers_alive": [w.proc.poll() is None for w in workers],
        "broker": broker,
        # Per worker: each running task's name, arguments and seconds so far.
        "active": {
            name: [
                (t["name"].rsplit(".", 1)[1], t["args"], round(time.time() - t["time_start"]))
                for t in tasks
            ]
            for name, tasks in (inspect.active() or {}).items()
        },
        "reserved": {name: len(tasks) for name, tasks in (inspect.reserved() or {}).items()},
        "ok": {p: _ok(receiver, p) for p in wants},
        "failed_answers": {p: sum(r.status >= 300 for r in receiver.at(p)) for p in wants},
        "not_fanned_out": list(
            Event.objects.filter(fanned_out_at__isnull=True).values_list("pk", "type")[:10]
        ),
        "deliveries": Delivery.objects.count(),
        "not_succeeded": list(
            Delivery.objects.exclude(status="succeeded").values_list(
                "pk",
                "event_id",
                "endpoint_id",
                "status",
                "attempts",
                "next_attempt_at",
                "last_error",
            )[:10]
        ),
        "activity": activity,
        # What the workers printed after their start-up banner (errors, tracebacks).
        "logs": {
            f.name: f.read_text(errors="replace").rpartition("key=celery")[2].strip()[-3000:]
            for f in sorted(log_dir.glob("*.log"))
        },
    }


@pytest.mark.django_db(transaction=True)
def test_every_event_reaches_every_endpoint_despite_a_sigkilled_worker(
    worker_env, portal, receiver, tmp_path, monkeypatch
):
    # Celery prefers CELERY_BROKER_URL from the environment (set under CI) to the broker
    # an app is given: without this, the sweeps below would go to another Redis database.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    slow = endpoints.endpoint_create(portal=portal, url=receiver.url("/slow", delay=0.01))
    flaky = endpoints.endpoint_create(
        portal=portal, url=receiver.url("/flaky", fail_ratio=0.5, max_failures_per_id=3)
    )
    healthy = endpoints.endpoint_create(
        portal=portal, url=receiver.url("/healthy"), event_types=["contact.created"]
    )
    wants = {"/slow": 2 * N, "/flaky": 2 * N, "/healthy": N}
    # Not the current app: the other tests' tasks must keep running eagerly in-process.
    producer = Celery(broker=worker_env["CELERY_BROKER_URL"], set_as_current=False)
    producer.control.purge()
    workers = [Worker(worker_env, f"w{i}", tmp_path) for i in (1, 2)]
    maker = _make_events(worker_env, portal.pk)
    try:
        kill_at = random.randint(len(wants) * N // 5, len(wants) * N // 2)
        deadline = time.monotonic() + 120
        while sum(_ok(receiver, p) for p in wants) < kill_at:
            assert time.monotonic() < deadline, "deliveries did not start"
            time.sleep(0.2)
        workers[0].kill()
        assert sum(_ok(receiver, p) for p in wants) < sum(wants.values()), "kill mid-run"
        workers[0] = Worker(worker_env, "w1-restarted", tmp_path)
        assert maker.wait(180) == 0, maker.stderr.read() if maker.stderr else ""
        deadline = time.monotonic() + 240
        # Until every endpoint has every event, and the deliveries the killed worker
        # held (sent, perhaps, but not recorded) were sent again after their lease.
        while any(_ok(receiver, p) < n for p, n in wants.items()) or (
            Delivery.objects.exclude(status="succeeded").exists()
        ):
            if time.monotonic() > deadline:
                pytest.fail(
                    pprint.pformat(_stuck(receiver, wants, tmp_path, producer, workers), width=100)
                )
            producer.send_task("commerce.events.tasks.sweep_events")
            time.sleep(2)
    finally:
        for worker in workers:
            worker.stop()
        producer.control.purge()

    events = {e.public_id: e.type for e in Event.objects.all()}
    assert len(events) == 2 * N
    secrets = {"/slow": slow.secret, "/flaky": flaky.secret, "/healthy": healthy.secret}
    for path, expected in wants.items():
        got = receiver.at(path)
        assert all(spec_signature_valid(secrets[path], r.headers, r.body) for r in got)
        ok = {r.json["id"] for r in got if 200 <= r.status < 300}
        wanted = {i for i, t in events.items() if path != "/healthy" or t == "contact.created"}
        assert ok == wanted and len(ok) == expected
        ids_per_event: dict[str, set[str]] = defaultdict(set)
        for r in got:
            ids_per_event[r.json["id"]].add(r.webhook_id)
        assert all(len(ids) == 1 for ids in ids_per_event.values())
        assert len({next(iter(ids)) for ids in ids_per_event.values()}) == len(ids_per_event)
    assert not Delivery.objects.exclude(status="succeeded").exists()
    assert Delivery.objects.count() == sum(wants.values())
    assert len(receiver.at("/flaky")) > 2 * N  # it did fail, and was retried
