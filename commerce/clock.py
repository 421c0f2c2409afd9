"""The hub's notion of "now" for billing.

Production: the wall clock. In `make dev`, `manage.py advance_demo_clock` (demo/clock.py) moves it
forward (together with fakestripe's clock) by writing an offset to
SUBSCRIPTION_DEMO_CLOCK_FILE, so a demo can bill next month's period today. The file
is only read when that setting is set (never in production)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone


def demo_offset_seconds() -> float:
    path = getattr(settings, "SUBSCRIPTION_DEMO_CLOCK_FILE", "")
    if not path:
        return 0.0
    try:
        return float(Path(path).read_text().strip() or 0)
    except (OSError, ValueError):
        return 0.0


def hub_now() -> datetime:
    offset = demo_offset_seconds()
    now = timezone.now()
    return now + timedelta(seconds=offset) if offset else now
