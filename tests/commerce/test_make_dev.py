"""`make dev` from nothing: migrate and seed a fresh SQLite database, start web, worker,
beat and the offline Stripe under one process manager, sign in as the printed super
admin, and stop everything with Ctrl-C. Real processes, in a temporary var/ folder."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The embedded defaults are the point: none of CI's servers.
SERVER_SETTINGS = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "REDIS_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_PUBLISHABLE_KEY",
    "STRIPE_API_BASE",
    "STRIPE_JS_URL",
    "STRIPE_WEBHOOK_SECRETS",
    "DJANGO_SETTINGS_MODULE",
)

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dev_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SERVER_SETTINGS}
    env.update(
        VAR_DIR=str(tmp_path / "var"),
        PORT=str(free_port()),
        FAKESTRIPE_PORT=str(free_port()),
    )
    (tmp_path / "var").mkdir()
    return env


def manage(env, *args) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def wait_for(url: str, deadline: float) -> None:
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_make_dev_seeds_serves_and_stops_on_ctrl_c(dev_env):
    # Given a fresh machine's var/: the Makefile's migrate and seed steps
    manage(dev_env, "migrate", "--noinput")
    printed = manage(dev_env, "seed_demo")
    logins = dict(re.findall(r"(\S+@example\.com)\s+password: (\S+)", printed))
    assert set(logins) == {"admin@example.com", "billing@example.com", "rep@example.com"}
    # Seeding again changes nothing and prints the same logins
    assert (
        dict(re.findall(r"(\S+@example\.com)\s+password: (\S+)", manage(dev_env, "seed_demo")))
        == logins
    )

    # When the process manager starts everything
    port, stripe_port = dev_env["PORT"], dev_env["FAKESTRIPE_PORT"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "commerce.devserver"],
        cwd=ROOT,
        env=dev_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        wait_for(f"{base}/login/", deadline)
        wait_for(f"http://127.0.0.1:{stripe_port}/v1/accounts", deadline)

        # Then the printed super admin signs in and lands on the seeded portal
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login_page = opener.open(f"{base}/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token,
                "username": "admin@example.com",
                "password": logins["admin@example.com"],
            }
        ).encode()
        dashboard = opener.open(
            urllib.request.Request(f"{base}/login/", data=form, headers={"Referer": base})
        )
        assert dashboard.geturl() == f"{base}/"
        assert "Northwind Supply Co." in dashboard.read().decode()
        products = opener.open(f"{base}/products/").read().decode()
        assert "Growth plan" in products

        # And Stripe is the offline one, asking for a key like Stripe does
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(f"http://127.0.0.1:{stripe_port}/v1/accounts")
        assert denied.value.code == 401
    finally:
        # When Ctrl-C reaches the process group, everything stops
        os.killpg(proc.pid, signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
            pytest.fail("make dev did not stop on Ctrl-C:\n" + output[-3000:])
    assert f"http://127.0.0.1:{port}/" in output  # the URL was printed
    for name in ("web", "worker", "beat", "stripe"):
        assert re.search(rf" {name} +\| ", output), f"{name} did not run:\n{output[-3000:]}"
    assert re.search(r"worker +\| .*celery@\S+ ready", output), output[-3000:]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
    # And the shutdown is quiet: each process ends on honcho's SIGTERM (Celery's warm
    # shutdown), none is killed, nothing is logged as an error
    shutdown = output[output.index("SIGINT received") :]
    noisy = [
        line
        for line in shutdown.splitlines()
        if re.search(r"ERROR|CRITICAL|Traceback|SIGKILL|exited with", line)
    ]
    assert noisy == [], shutdown[-3000:]
    assert re.search(r"worker stopped", shutdown), shutdown[-3000:]
