"""`make dev`: web + Celery worker + Celery beat (+ the offline Stripe) under honcho.

With no STRIPE_SECRET_KEY configured, the hub runs against fakestripe on loopback and
every process gets its address through the environment; nothing else changes. Ctrl-C
stops everything.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import environ
from honcho.manager import Manager

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_WEBHOOK_SECRET = "whsec_dev_commercehub"


def main() -> int:
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
    port = os.environ.get("PORT", "8000")
    stripe_port = os.environ.get("FAKESTRIPE_PORT", "12111")
    py = sys.executable
    env = dict(os.environ)
    env.setdefault("DEBUG", "true")
    env.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    env["PYTHONUNBUFFERED"] = "1"

    processes = {
        "web": f"{py} manage.py runserver 127.0.0.1:{port}",
        "worker": f"{py} -m celery -A commerce worker --loglevel INFO --concurrency 2 -Q celery,billing",
        "beat": f"{py} -m celery -A commerce beat --loglevel INFO",
    }
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
    manager = Manager()
    for name, cmd in processes.items():
        manager.add_process(name, cmd, env=env, cwd=str(BASE_DIR))
    manager.loop()
    return manager.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
