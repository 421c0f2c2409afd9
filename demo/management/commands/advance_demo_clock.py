"""Moves the demo's "now" forward: fakestripe's clock and the hub's billing clock.

    manage.py advance_demo_clock --days 31      # then bills whatever became due

For `make dev` only: it refuses unless DEBUG is on, the demo clock file is configured
(SUBSCRIPTION_DEMO_CLOCK_FILE, var/demo-clock by default in development) and Stripe is
fakestripe on the loopback interface. The hub's offset is read by
`subscriptions.clock.hub_now`, which the billing run uses for "today".
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Advance fakestripe's and the hub's demo clock, then run subscription billing."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=float, default=0)
        parser.add_argument("--hours", type=float, default=0)
        parser.add_argument("--no-bill", action="store_true", help="Only move the clocks.")

    def handle(self, *args, days: float, hours: float, no_bill: bool, **options):
        seconds = days * 86400 + hours * 3600
        if seconds <= 0:
            raise CommandError("Give --days or --hours (more than zero).")
        path = settings.SUBSCRIPTION_DEMO_CLOCK_FILE
        base = settings.STRIPE_API_BASE
        host = urlparse(base).hostname if base else None
        if not settings.DEBUG or not path:
            raise CommandError("The demo clock exists only in development (DEBUG=true).")
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise CommandError("The demo clock needs fakestripe on 127.0.0.1 (STRIPE_API_BASE).")

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
            raise CommandError(f"fakestripe did not answer at {base}: {exc}") from None

        from subscriptions.clock import demo_offset_seconds, hub_now

        offset = demo_offset_seconds() + seconds
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(f"{offset}\n")
        self.stdout.write(
            f"Demo clock moved {seconds / 86400:g} days: now {hub_now():%Y-%m-%d %H:%M} UTC."
        )
        if no_bill:
            return

        from subscriptions import billing

        ids = billing.billing_due_ids()
        result = billing.billing_charge_batch(subscription_ids=ids) if ids else None
        if result is None:
            self.stdout.write("No subscription is due.")
        else:
            self.stdout.write(
                f"Billed {result.succeeded} subscription(s); {result.failed} failed, "
                f"{result.deferred} deferred, {result.ended} ended."
            )
