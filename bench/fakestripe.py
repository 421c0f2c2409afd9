"""Benchmark fakestripe from one SDK client process.

Starts two fakestripe servers on free ports, seeds one with 1,000 and one with 50,000
objects (half customers, half succeeded PaymentIntents, plus their charges, balance
transactions and events), then measures PaymentIntent retrieves/s and PaymentIntent
create+confirm pairs/s on each, alternating between them so that other load on the
machine affects both alike (medians of the rounds). For context it also measures the
SDK client's own ceiling against a server that only replays a stored response. The last
line is the ratio 50k/1k (goal >= 0.9: constant time per call as the store grows).

    .venv/bin/python bench/fakestripe.py [--rounds 6] [--window 0.75]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import requests
import stripe

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def control(base: str, path: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(
        base + path,
        data=json.dumps(body or {}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=600) as resp:
        return json.loads(resp.read())


def start(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "fakestripe", "--port", str(port), "--quiet"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_fake/health", timeout=1):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("fakestripe did not start")


def client(base: str) -> stripe.StripeClient:
    # One keep-alive session, as the hub's SDK client; trust_env=False skips requests'
    # per-call scan of proxy environment variables (client-side cost, not the server's).
    session = requests.Session()
    session.trust_env = False
    return stripe.StripeClient(
        "sk_test_bench",
        base_addresses={"api": base, "connect": base, "files": base},
        http_client=stripe.RequestsClient(session=session),
    )


def rate(fn, seconds: float) -> float:
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(10):
            fn()
        count += 10
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def workloads(c: stripe.StripeClient, ids: list[str]):
    retrieve_ids = itertools.cycle(ids)

    def retrieve():
        c.v1.payment_intents.retrieve(next(retrieve_ids))

    def pair():
        pi = c.v1.payment_intents.create(
            params={
                "amount": 1999,
                "currency": "usd",
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            }
        )
        c.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})

    return retrieve, pair


def serve_canned(port: int, path: str) -> None:
    """A server answering every request with one stored fakestripe response: the SDK
    client's own ceiling on this machine (nothing is computed server-side)."""
    import socketserver

    body = Path(path).read_bytes()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(
        body
    )

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                length = 0
                while (h := self.rfile.readline()) not in (b"\r\n", b""):
                    if h.lower().startswith(b"content-length:"):
                        length = int(h.split(b":")[1])
                self.rfile.read(length)
                self.wfile.write(head + body)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    Server(("127.0.0.1", port), Handler).serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=6, help="interleaved measurement rounds")
    parser.add_argument("--window", type=float, default=0.75, help="seconds per measurement")
    parser.add_argument("--serve-canned", nargs=2, metavar=("PORT", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_canned:
        serve_canned(int(args.serve_canned[0]), args.serve_canned[1])
        return
    sizes = (1_000, 50_000)
    ports = {size: free_port() for size in sizes}
    procs = [start(port) for port in ports.values()]
    canned_proc = None
    canned_file: Path | None = None
    try:
        bases = {size: f"http://127.0.0.1:{port}" for size, port in ports.items()}
        # Seed both stores at once (one process each), then measure them in alternation
        # so that load from anything else on the machine hits both sizes alike.
        seeded: dict[int, dict] = {}
        threads = [
            threading.Thread(
                target=lambda s=size: seeded.__setitem__(
                    s, control(bases[s], "/_fake/seed", {"count": s})
                )
            )
            for size in sizes
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # The SDK's own ceiling: the same calls against a server that replays one stored
        # response and computes nothing. Measured in the same rotation.
        sample = seeded[sizes[0]]["sample"]["payment_intent"][0]
        raw = requests.get(
            f"{bases[sizes[0]]}/v1/payment_intents/{sample}",
            headers={"Authorization": "Bearer sk_test_bench"},
            timeout=10,
        ).content
        canned_file = Path(tempfile.mkstemp(prefix="fakestripe-bench-", suffix=".json")[1])
        canned_file.write_bytes(raw)
        canned_port = free_port()
        canned_proc = subprocess.Popen(
            [sys.executable, __file__, "--serve-canned", str(canned_port), str(canned_file)]
        )
        time.sleep(0.5)
        loads = {
            size: workloads(client(bases[size]), seeded[size]["sample"]["payment_intent"])
            for size in sizes
        }
        loads[0] = workloads(client(f"http://127.0.0.1:{canned_port}"), ["pi_canned"])
        for fns in loads.values():  # warm up connections and caches
            for fn in fns:
                for _ in range(30):
                    fn()
        samples: dict[int, tuple[list[float], list[float]]] = {key: ([], []) for key in loads}
        for _ in range(args.rounds):
            for key, (retrieve, pair) in loads.items():
                samples[key][0].append(rate(retrieve, args.window))
                samples[key][1].append(rate(pair, args.window))
        ceiling = [statistics.median(xs) for xs in samples[0]]

        medians = {size: [statistics.median(xs) for xs in samples[size]] for size in sizes}
        print(
            f"SDK client ceiling (server computing nothing): retrieve {ceiling[0]:,.0f}/s, "
            f"create+confirm {ceiling[1]:,.0f} pairs/s"
        )
        for size in sizes:
            r, p = medians[size]
            print(
                f"{size // 1000}k seeded ({seeded[size]['stored_objects']:,} stored objects): "
                f"retrieve {r:,.0f}/s, PI create+confirm {p:,.0f} pairs/s "
                f"({r / ceiling[0]:.0%} / {p / ceiling[1]:.0%} of the ceiling)"
            )
        small, big = medians[sizes[0]], medians[sizes[1]]
        print(
            f"ratio 50k/1k: retrieve {big[0] / small[0]:.2f}, create+confirm {big[1] / small[1]:.2f}"
        )
    finally:
        for proc in [*procs, canned_proc]:
            if proc is not None:
                proc.terminate()
                proc.wait(30)
        if canned_file is not None:
            canned_file.unlink(missing_ok=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    main()
