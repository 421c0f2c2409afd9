"""Production settings pass Django's deployment checks with production-like values."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _check_deploy(**overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "STRIPE_"))}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="hub.example.com",
        CSRF_TRUSTED_ORIGINS="https://hub.example.com",
        HTTPS="true",
        BEHIND_PROXY="true",
        STATIC_MANIFEST="true",
        DATABASE_URL="postgres://commerce:secret@db.internal:5432/commerce",
        CELERY_BROKER_URL="redis://redis.internal:6379/0",
        REDIS_URL="redis://redis.internal:6379/1",
        EMAIL_URL="smtp+tls://user:pass@smtp.example.com:587",
        VAR_DIR=str(ROOT / "var" / "deploy-check"),
    )
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_without_warnings():
    result = _check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_flags_debug_and_plain_http():
    result = _check_deploy(DEBUG="true", HTTPS="false")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "security.W018" in output  # DEBUG on in deployment
    assert "security.W008" in output  # no SSL redirect
