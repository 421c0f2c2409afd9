"""Benchmark fakestripe from one SDK client process.

Starts its own server on a free port, seeds 1,000 then 50,000 stored objects, and
measures retrieves/s and PaymentIntent create+confirm pairs/s at each size. The last line
is the ratio 50k/1k (goal ≥ 0.9: constant time per call as the store grows).

    .venv/bin/python bench/fakestripe.py [--seconds 4]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
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
    for _ in range(50):  # warm up
        fn()
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(25):
            fn()
        count += 25
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def measure(c: stripe.StripeClient, ids: list[str], seconds: float) -> tuple[float, float]:
    retrieve_ids = iter(ids * 1000)

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

    return rate(retrieve, seconds), rate(pair, seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4.0, help="per measurement")
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(port)
    try:
        c = client(base)
        results = {}
        for size in (1_000, 50_000):
            control(base, "/_fake/reset")
            seeded = control(base, "/_fake/seed", {"count": size})
            ids = seeded["sample"]["payment_intent"]
            retrieves, pairs = measure(c, ids, args.seconds)
            results[size] = (retrieves, pairs)
            label = f"{size // 1000}k"
            print(
                f"{label} stored ({seeded['stored_objects']} objects): "
                f"retrieve {retrieves:,.0f}/s, PI create+confirm {pairs:,.0f} pairs/s",
                flush=True,
            )
        r = results[50_000][0] / results[1_000][0]
        p = results[50_000][1] / results[1_000][1]
        print(f"ratio 50k/1k: retrieve {r:.2f}, create+confirm {p:.2f}")
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    main()
