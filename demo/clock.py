"""The demo clock: moves the demo's "now" forward, fakestripe's clock and the hub's.

For `make dev` only: it refuses unless DEBUG is on, the demo clock file is configured
(SUBSCRIPTION_DEMO_CLOCK_FILE, var/demo-clock by default in development) and Stripe is
fakestripe on the loopback interface. The hub reads its offset through
`commerce.clock.hub_now`, which the billing run uses for "today".
"""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings

from commerce.clock import demo_offset_seconds, hub_now
from subscriptions import billing


class DemoClockError(Exception):
    pass


def demo_clock_advance(*, seconds: float) -> datetime:
    """Moves fakestripe's clock, then the hub's, by `seconds`; returns the hub's new now."""
    if seconds <= 0:
        raise DemoClockError("Give --days or --hours (more than zero).")
    path = settings.SUBSCRIPTION_DEMO_CLOCK_FILE
    base = settings.STRIPE_API_BASE
    host = urlparse(base).hostname if base else None
    if not settings.DEBUG or not path:
        raise DemoClockError("The demo clock exists only in development (DEBUG=true).")
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise DemoClockError("The demo clock needs fakestripe on 127.0.0.1 (STRIPE_API_BASE).")
    request = urllib.request.Request(
        f"{base.rstrip('/')}/_fake/clock/advance",
        data=json.dumps({"seconds": seconds}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            json.loads(response.read())
    except OSError as exc:
        raise DemoClockError(f"fakestripe did not answer at {base}: {exc}") from None
    offset = demo_offset_seconds() + seconds
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(f"{offset}\n")
    return hub_now()


def demo_bill_due() -> billing.BatchResult | None:
    """Bills whatever became due; None when nothing is."""
    ids = billing.billing_due_ids()
    return billing.billing_charge_batch(subscription_ids=ids) if ids else None
