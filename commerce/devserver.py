"""`make dev`: web + Celery worker + Celery beat (+ the offline Stripe) under honcho.

With no STRIPE_SECRET_KEY configured, the hub runs against fakestripe on loopback and
every process gets its address through the environment; nothing else changes. Ctrl-C
stops everything.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import environ
import honcho.manager
from honcho.manager import Manager

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_WEBHOOK_SECRET = "whsec_dev_commercehub"
SHUTDOWN_WAIT_SECONDS = 30


def dev_environment() -> tuple[dict[str, str], bool]:
    """The environment every `make dev` process gets, and whether Stripe is offline."""
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
    port = os.environ.get("PORT", "8000")
    stripe_port = os.environ.get("FAKESTRIPE_PORT", "12111")
    env = dict(os.environ)
    env.setdefault("DEBUG", "true")
    # Outbound webhooks to a receiver on this machine (commerce/events/network.py).
    env.setdefault("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true")
    env.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    env["PYTHONUNBUFFERED"] = "1"
    offline = not env.get("STRIPE_SECRET_KEY")
    if offline:
        stripe_base = f"http://127.0.0.1:{stripe_port}"
        env.update(
            STRIPE_SECRET_KEY="sk_test_fakestripe_dev",
            STRIPE_PUBLISHABLE_KEY="pk_test_fakestripe_dev",
            STRIPE_API_BASE=stripe_base,
            STRIPE_JS_URL=f"{stripe_base}/js/v3/",
            STRIPE_WEBHOOK_SECRETS=DEV_WEBHOOK_SECRET,
        )
    return env, offline


def main(argv: list[str]) -> int:
    env, offline = dev_environment()
    py = sys.executable
    if argv[:1] == ["manage"]:
        # `python -m commerce.devserver manage <command> …`: a management command with
        # the same environment as the running `make dev` (e.g. advance_demo_clock).
        return subprocess.call([py, "manage.py", *argv[1:]], env=env, cwd=str(BASE_DIR))
    port = os.environ.get("PORT", "8000")
    stripe_port = os.environ.get("FAKESTRIPE_PORT", "12111")
    processes = {
        "web": f"{py} manage.py runserver 127.0.0.1:{port}",
        # Threads, not forked children: honcho stops a process by signalling its whole
        # process group, and a forked pool child killed that way is logged as an error.
        "worker": f"{py} -m celery -A commerce worker --loglevel INFO --pool threads --concurrency 2 -Q celery,billing",
        "beat": f"{py} -m celery -A commerce beat --loglevel INFO",
    }
    if offline:
        processes["stripe"] = (
            f"{py} -m fakestripe --port {stripe_port} --snapshot var/fakestripe.json "
            f"--webhook http://127.0.0.1:{port}/webhooks/stripe/ --webhook-secret {DEV_WEBHOOK_SECRET}"
        )

    stripe_note = (
        f"offline fakestripe on 127.0.0.1:{stripe_port}" if offline else "your keys from .env"
    )
    print(
        f"\n  Commerce Hub is starting at  http://127.0.0.1:{port}/\n"
        f"  Stripe: {stripe_note}\n  Press Ctrl-C to stop.\n",
        flush=True,
    )
    # Ctrl-C: honcho sends SIGTERM to every process, then SIGKILL to those still running
    # after KILL_WAIT seconds (5). Celery's warm shutdown waits for its broker poll (2 s
    # on the embedded broker) and for the tasks it runs: give it the time to end quietly.
    honcho.manager.KILL_WAIT = SHUTDOWN_WAIT_SECONDS
    manager = Manager()
    for name, cmd in processes.items():
        manager.add_process(name, cmd, env=env, cwd=str(BASE_DIR))
    manager.loop()
    return manager.returncode or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
