"""Shared benchmark plumbing: a gunicorn server of the hub and a keep-alive HTTP load loop."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    var = ROOT / "var" / "bench"
    var.mkdir(parents=True, exist_ok=True)
    env.setdefault("DATABASE_URL", f"sqlite:///{var / 'bench.sqlite3'}")
    env.setdefault("VAR_DIR", str(var))
    env.update(DEBUG="false", LOG_LEVEL="WARNING", ALLOWED_HOSTS="127.0.0.1,localhost")
    env.update(extra)
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 2, threads: int = 4):
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "commerce.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
            "--keep-alive",
            "30",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/ping")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def load(
    port: int,
    make_request: Callable[[int], tuple[str, str, bytes | None, dict[str, str]]],
    *,
    seconds: float,
    concurrency: int = 4,
    expect: int = 200,
) -> float:
    """Requests/second over `seconds` with `concurrency` keep-alive connections."""
    counter = iter(range(10**9))
    lock = threading.Lock()
    done = [0]
    errors: list[str] = []
    stop_at = time.perf_counter() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n = 0
        while time.perf_counter() < stop_at:
            with lock:
                i = next(counter)
            method, path, body, headers = make_request(i)
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != expect:
                errors.append(f"{path}: {response.status}")
                break
            n += 1
        with lock:
            done[0] += n
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"unexpected responses: {errors[:3]}")
    return done[0] / elapsed


# --- fakestripe for the benchmarks that need their own --------------------------------


def control(base: str, path: str, method: str = "POST", **body) -> dict:
    data = json.dumps(body).encode() if method == "POST" else None
    request = urllib.request.Request(
        f"{base}/_fake/{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        return json.loads(response.read())


def start_fakestripe() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "fakestripe", "--port", str(port), "--quiet"], cwd=ROOT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            control(base, "health", "GET")
            return proc, base
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("fakestripe did not start")
