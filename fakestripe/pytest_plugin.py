"""pytest fixtures: one fakestripe server per test session, reset before each test.

Register with `-p fakestripe.pytest_plugin` (or `pytest_plugins = ["fakestripe.pytest_plugin"]`
in the root conftest). Fixtures:

- `fakestripe_server` (session): the running server (subprocess `python -m fakestripe`).
- `fakestripe` (function): resets the server's state and returns a `FakeStripeHandle`.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "sk_test_fakestripe"
PUBLISHABLE_KEY = "pk_test_fakestripe"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(
    url: str, method: str = "GET", body: dict[str, Any] | None = None, timeout: float = 60
):
    data = json.dumps(body).encode() if body is not None else (b"{}" if method != "GET" else None)
    req = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")
        raise AssertionError(
            f"fakestripe control {method} {url} failed: {exc.code} {detail}"
        ) from None


class FakeStripeServer:
    """A `python -m fakestripe` subprocess on a free loopback port."""

    def __init__(self, port: int | None = None, extra_args: list[str] | None = None) -> None:
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra_args = extra_args or []
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> FakeStripeServer:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fakestripe",
                "--port",
                str(self.port),
                "--quiet",
                *self.extra_args,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"fakestripe exited with code {self.process.returncode}")
            try:
                _request(f"{self.url}/_fake/health", timeout=1)
                return self
            except (OSError, AssertionError):
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"fakestripe did not answer on {self.url} within {timeout:.0f}s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


class FakeStripeHandle:
    """What a test gets from the `fakestripe` fixture."""

    secret_key = SECRET_KEY
    publishable_key = PUBLISHABLE_KEY

    def __init__(self, url: str) -> None:
        self.url = url
        self.js_url = f"{url}/js/v3/"

    # --- SDK -----------------------------------------------------------------------
    def client(self, stripe_account: str | None = None, **options: Any):
        """A `stripe.StripeClient` pointed at this server (as the hub configures it)."""
        import stripe

        return stripe.StripeClient(
            options.pop("api_key", self.secret_key),
            base_addresses={"api": self.url, "connect": self.url, "files": self.url},
            stripe_account=stripe_account,
            **options,
        )

    # --- controls ------------------------------------------------------------------
    def control(self, path: str, method: str = "POST", /, **body: Any) -> Any:
        """Call a /_fake/ control: `control("clock/advance", seconds=60)`."""
        path = path if path.startswith("/") else f"/_fake/{path}"
        return _request(f"{self.url}{path}", method, body if method != "GET" else None)

    def reset(self) -> None:
        self.control("reset")

    def verify_account(self, account: str) -> dict[str, Any]:
        return self.control(f"accounts/{account}/verify")

    def submit_pending(self, account: str) -> dict[str, Any]:
        return self.control(f"accounts/{account}/submit_pending")

    def require_information(
        self, account: str, due: str = "currently_due", fields=None
    ) -> dict[str, Any]:
        return self.control(f"accounts/{account}/require_information", due=due, fields=fields)

    def reject_account(self, account: str, reason: str = "rejected.fraud") -> dict[str, Any]:
        return self.control(f"accounts/{account}/reject", reason=reason)

    def deauthorize(self, account: str) -> dict[str, Any]:
        return self.control(f"accounts/{account}/deauthorize")

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return self.control("clock/advance", seconds=seconds)

    def now(self) -> int:
        return self.control("clock", "GET")["now"]

    def inject_failure(
        self,
        path: str,
        kind: str = "server_error",
        *,
        method: str = "POST",
        when: str = "before",
        count: int = 1,
        delay_seconds: float = 1.0,
    ) -> dict[str, Any]:
        spec = {
            "method": method,
            "path": path,
            "kind": kind,
            "when": when,
            "count": count,
            "delay_seconds": delay_seconds,
        }
        return self.control("failures", "POST", **spec)

    def clear_failures(self) -> None:
        self.control("failures", "DELETE")

    def dispute(self, charge: str) -> dict[str, Any]:
        return self.control(f"charges/{charge}/dispute")

    def authenticate(self, intent: str, outcome: str = "complete") -> dict[str, Any]:
        return self.control(f"intents/{intent}/authenticate", outcome=outcome)

    def flush_webhooks(self) -> dict[str, Any]:
        return self.control("webhooks/flush")

    def webhook_log(self) -> list[dict[str, Any]]:
        return self.control("webhooks/log", "GET")["attempts"]

    def stats(self) -> dict[str, Any]:
        return self.control("stats", "GET")

    def reset_stats(self) -> None:
        """Forgets the counts and the request log."""
        self.control("stats/reset")

    def request_times(self, call: str | None = None) -> list[float]:
        """When each API request (or each `call`, e.g. "POST /v1/payment_intents") since
        the last reset arrived, in seconds on the server's own monotonic clock."""
        log = self.control("requests", "GET")["requests"]
        return [r["at"] for r in log if call is None or r["call"] == call]

    def configure(self, **settings: Any) -> dict[str, Any]:
        return self.control("config", **settings)

    def settle_balance(self) -> int:
        return self.control("balance/settle")["settled"]

    def run_payouts(self) -> int:
        """Runs the automatic payout schedule now; returns how many payouts it made."""
        return self.control("payouts/run")["created"]

    def fail_next_payout(
        self, account: str, failure_code: str = "account_closed", failure_message: str = ""
    ) -> dict[str, Any]:
        return self.control(
            "payouts/fail_next",
            account=account,
            failure_code=failure_code,
            failure_message=failure_message,
        )

    def add_webhook_endpoint(
        self, url: str, connect: bool = False, enabled_events=None, secret: str | None = None
    ) -> str:
        """Register an endpoint; returns its signing secret (whsec_…)."""
        body: dict[str, Any] = {
            "url": url,
            "connect": connect,
            "enabled_events": enabled_events or ["*"],
        }
        if secret:
            body["secret"] = secret
        return self.control("webhook_endpoints", **body)["secret"]


@pytest.fixture(scope="session")
def fakestripe_server() -> Iterator[FakeStripeServer]:
    server = FakeStripeServer()
    try:
        server.start()
    except RuntimeError as exc:  # our own code: never a skip
        pytest.fail(f"fakestripe could not start: {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def fakestripe(fakestripe_server: FakeStripeServer) -> FakeStripeHandle:
    handle = FakeStripeHandle(fakestripe_server.url)
    handle.reset()
    return handle
