"""Outbound webhook delivery against a bare loop POSTing the same signed bodies.

    .venv/bin/python bench/outbound_webhooks.py [--events 5000] [--processes 2] [--rounds 5]
    .venv/bin/python bench/outbound_webhooks.py --sweeper [--rows 1000000]

The database is a new SQLite file under var/bench/outbound-<id>/, or, when DATABASE_URL
is set, that database, migrated and used as it is (use an empty one). A local receiver
(a threaded HTTP/1.1 server in its own process, answering 200) stands for the
endpoint. Wall-clock time is counted, with the same number of child processes each
time, from the moment every child has set up Django and is told to go until the last
one exits:
- the baseline: each child POSTs its share of the events' bodies (made before the
  clock starts), signed per Standard Webhooks (`standardwebhooks`, as the hub signs),
  with the hub's headers, over one keep-alive connection (http.client, as the hub's),
  doing nothing with the answers;
- the hub: N events are inserted un-fanned (as `event_record` leaves them), then each
  child, warmed like a worker's process (connected to the database), runs what the
  Celery tasks `deliver_event` and `deliver_due` run (`deliveries_run`: claim due
  deliveries with SKIP LOCKED, fan out new events into deliveries leased to itself,
  sign, POST, record every attempt) until nothing is left. Every delivery is checked
  to have succeeded.
Five rounds, each timing both sides back to back on the same events (which goes first
alternates); the last line is the median of the rounds' hub / baseline throughput
ratios (goal >= 0.7), the line before it every round's.

`--sweeper` measures the sweeper (`events_sweep`: fan out 1,000 new events, count due
deliveries) on an empty log and again after adding `--rows` delivered events with their
deliveries (COPY on PostgreSQL, bulk inserts on SQLite), median of 7 runs each, every run
rolled back; the last line is the ratio (goal < 1.10: the partial indexes mean the
delivered rows are never read).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import free_port  # noqa: E402


def hub_env(database_url: str, var: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "VAR_DIR": str(var),
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
        "WEBHOOK_ALLOW_HTTP": "true",
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "commerce.settings"
    import django

    django.setup()


# --- The receiver -----------------------------------------------------------------------


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def child_receiver(port: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", port), _Ok)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


def start_receiver() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", "receiver", "--share", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc, f"http://127.0.0.1:{port}/hook"


# --- Children ---------------------------------------------------------------------------


def parallel(env: dict[str, str], role: str, shares: list[str]) -> float:
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--child", role, "--share", share],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for share in shares
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        if proc.wait() != 0:
            raise RuntimeError(f"{role} child failed")
    return time.perf_counter() - started


def child_baseline(spec: dict) -> None:
    import http.client
    from datetime import UTC, datetime
    from urllib.parse import urlsplit

    from django.db.models import TextField
    from django.db.models.functions import Cast
    from standardwebhooks import Webhook

    from commerce.events.delivery import USER_AGENT, EventView, event_body
    from commerce.events.models import Event, new_message_id

    url = urlsplit(spec["url"])
    # The very bytes the hub sends: its body of each event, from the same columns.
    rows = Event.objects.filter(pk__in=spec["items"]).values_list(
        "public_id", "type", "created", Cast("data", TextField()), "portal__public_id"
    )
    bodies = [(new_message_id(), event_body(EventView(*row[:4]), row[4])) for row in rows]
    print("ready", flush=True)
    sys.stdin.readline()
    webhook = Webhook(spec["secret"])
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=15)
    for message_id, body in bodies:
        stamp = datetime.now(tz=UTC)
        conn.request(
            "POST",
            url.path,
            body=body,
            headers={
                "Content-Type": "application/json",
                "webhook-id": message_id,
                "webhook-timestamp": str(int(stamp.timestamp())),
                "webhook-signature": webhook.sign(message_id, stamp, body),
                "User-Agent": USER_AGENT,
            },
        )
        conn.getresponse().read()
    conn.close()


def child_hub(spec: dict) -> None:
    from commerce.events import delivery
    from commerce.events.models import Event, WebhookEndpoint

    # Warmed like a worker's process: connected, the tables' catalog entries cached.
    delivery.due_deliveries().exists()
    Event.objects.filter(fanned_out_at__isnull=True, pk=0).exists()
    WebhookEndpoint.objects.filter(pk=0).exists()
    print("ready", flush=True)
    sys.stdin.readline()
    # What `deliver_event` and `deliver_due` run: batches of due deliveries topped up
    # with new events' (fanned out and leased at once), until nothing is left.
    while delivery.deliveries_run(seconds=3600).attempts:
        pass


def child_main(role: str, share: str) -> None:
    if role == "receiver":
        child_receiver(int(share))
        return
    setup_django({})
    spec = json.loads(share)
    {"baseline": child_baseline, "hub": child_hub}[role](spec)


# --- The parent -------------------------------------------------------------------------


def make_events(count: int) -> list[int]:
    from commerce.events.models import Event
    from commerce.portals.models import Portal

    portal = Portal.objects.first() or Portal.objects.create(name="Bench portal")
    rows = [
        Event(
            portal=portal,
            type="product.updated",
            object_type="product",
            object_id=str(i),
            data={
                "id": str(i),
                "object": "product",
                "name": f"Product {i}",
                "sku": f"SKU-{i}",
                "description": "A product of the bench",
                "unit_price": 1000 + i,
                "unit_cost": None,
                "currency": "usd",
                "billing_frequency": "monthly",
                "term_periods": 12,
                "archived": False,
            },
        )
        for i in range(count)
    ]
    Event.objects.bulk_create(rows, batch_size=1000)
    return [e.pk for e in rows]


def prepare(var: Path) -> dict[str, str]:
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{var / 'bench.sqlite3'}"
    env = hub_env(database_url, var)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    setup_django(env)
    return env


def throughput(args: argparse.Namespace, env: dict[str, str]) -> None:
    from commerce.events.endpoints import endpoint_create
    from commerce.events.models import Delivery, Event
    from commerce.portals.models import Portal

    receiver, url = start_receiver()
    try:
        portal = Portal.objects.first() or Portal.objects.create(name="Bench portal")
        endpoint = endpoint_create(portal=portal, url=url, description="bench")
        base_rates, hub_rates, ratios = [], [], []
        # Each round times both sides back to back (in turn first), on the same events:
        # a pair shares the machine's noise of the moment, and the median of the pairs'
        # ratios is not moved by one unlucky (or lucky) run.
        for round_ in range(args.rounds):
            Event.objects.all().delete()
            ids = make_events(args.events)
            shares = [
                json.dumps(
                    {"items": ids[i :: args.processes], "url": url, "secret": endpoint.secret}
                )
                for i in range(args.processes)
            ]
            sides = [("baseline", shares), ("hub", [json.dumps({})] * args.processes)]
            seconds = {
                role: parallel(env, role, role_shares)
                for role, role_shares in (sides if round_ % 2 == 0 else sides[::-1])
            }
            done = Delivery.objects.filter(endpoint=endpoint, status="succeeded").count()
            if done != args.events:
                raise RuntimeError(f"only {done} of {args.events} deliveries succeeded")
            base_rates.append(args.events / seconds["baseline"])
            hub_rates.append(args.events / seconds["hub"])
            ratios.append(hub_rates[-1] / base_rates[-1])
            print(
                f"round {round_ + 1}: baseline {base_rates[-1]:.0f}/s, hub {hub_rates[-1]:.0f}/s,"
                f" ratio {ratios[-1]:.2f}",
                file=sys.stderr,
            )
    finally:
        receiver.terminate()
        receiver.wait(10)
    database = env["DATABASE_URL"].split(":", 1)[0]
    print(f"{args.events} events, {args.processes} processes ({database}), {args.rounds} rounds")
    print(f"baseline (sign + POST):             {statistics.median(base_rates):8.0f} deliveries/s")
    print(f"hub (fan-out, claim, POST, record): {statistics.median(hub_rates):8.0f} deliveries/s")
    print(f"round ratios: {' '.join(f'{r:.2f}' for r in ratios)}")
    print(f"ratio hub/baseline: {statistics.median(ratios):.2f} (median of rounds, goal >= 0.7)")


def _seed_delivered(rows: int, portal_id: int, endpoint_id: int) -> None:
    """`rows` delivered events, each with its succeeded delivery."""
    from django.db import connection

    from commerce.events.models import Delivery, Event

    now = "2026-01-01T00:00:00+00:00"
    data = json.dumps({"id": "1", "object": "product", "name": "Seeded"})
    tag = uuid.uuid4().hex[:8]
    first = (Event.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    chunk = 100_000
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        ids = range(first + start, first + start + n)
        events = [
            (
                i,
                f"evt_seed{tag}{i}",
                portal_id,
                "product.updated",
                "product",
                str(i),
                now,
                data,
                now,
            )
            for i in ids
        ]
        deliveries = [
            (
                i,
                portal_id,
                i,
                endpoint_id,
                f"msg_seed{tag}{i}",
                "succeeded",
                1,
                None,
                200,
                "",
                now,
                now,
            )
            for i in ids
        ]
        e_cols = (
            "id, public_id, portal_id, type, object_type, object_id, created, data, fanned_out_at"
        )
        d_cols = "id, portal_id, event_id, endpoint_id, message_id, status, attempts, next_attempt_at, last_status_code, last_error, created_at, delivered_at"
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(
                    f"COPY {Event._meta.db_table} ({e_cols}) FROM STDIN"
                ) as copy:
                    for row in events:
                        copy.write_row(row)
                with cursor.cursor.copy(
                    f"COPY {Delivery._meta.db_table} ({d_cols}) FROM STDIN"
                ) as copy:
                    for row in deliveries:
                        copy.write_row(row)
            else:
                cursor.executemany(
                    f"INSERT INTO {Event._meta.db_table} ({e_cols}) VALUES ({', '.join(['%s'] * 9)})",
                    events,
                )
                cursor.executemany(
                    f"INSERT INTO {Delivery._meta.db_table} ({d_cols}) VALUES ({', '.join(['%s'] * 12)})",
                    deliveries,
                )
        print(f"  seeded {start + n:,} delivered events", file=sys.stderr)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{Event._meta.db_table}', 'id'), {first + rows})"
            )
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{Delivery._meta.db_table}', 'id'), {first + rows})"
            )
        cursor.execute("ANALYZE")


def _time_sweep(pending: int) -> float:
    from django.db import transaction

    from commerce.events import delivery

    times = []
    for _ in range(7):
        with transaction.atomic():
            make_events(pending)
            started = time.perf_counter()
            result = delivery.events_sweep()
            times.append(time.perf_counter() - started)
            assert result["fanned_out"] == pending, result
            transaction.set_rollback(True)
    return statistics.median(times)


def sweeper(args: argparse.Namespace, env: dict[str, str]) -> None:
    from commerce.events.endpoints import endpoint_create
    from commerce.portals.models import Portal

    portal = Portal.objects.first() or Portal.objects.create(name="Bench portal")
    endpoint = endpoint_create(portal=portal, url="http://127.0.0.1:9/hook", description="bench")
    _time_sweep(args.pending)  # warm up
    empty = _time_sweep(args.pending)
    _seed_delivered(args.rows, portal.pk, endpoint.pk)
    full = _time_sweep(args.pending)
    print(
        f"sweeper with {args.pending} new events: {empty * 1000:.1f} ms on an empty log, {full * 1000:.1f} ms with {args.rows:,} delivered"
    )
    print(f"ratio sweeper time full/empty: {full / empty:.2f} (goal < 1.10)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sweeper", action="store_true")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pending", type=int, default=1000)
    parser.add_argument("--child")
    parser.add_argument("--share")
    args = parser.parse_args()
    if args.child:
        child_main(args.child, args.share)
        return
    var = ROOT / "var" / "bench" / f"outbound-{uuid.uuid4().hex[:8]}"
    var.mkdir(parents=True, exist_ok=True)
    env = prepare(var)
    if args.sweeper:
        sweeper(args, env)
    else:
        throughput(args, env)


if __name__ == "__main__":
    main()
