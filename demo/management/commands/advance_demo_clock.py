"""Moves the demo's "now" forward: fakestripe's clock and the hub's billing clock.

    manage.py advance_demo_clock --days 31      # then bills whatever became due

For `make dev` only (demo/clock.py says why and how).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from demo.clock import DemoClockError, demo_bill_due, demo_clock_advance


class Command(BaseCommand):
    help = "Advance fakestripe's and the hub's demo clock, then run subscription billing."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=float, default=0)
        parser.add_argument("--hours", type=float, default=0)
        parser.add_argument("--no-bill", action="store_true", help="Only move the clocks.")

    def handle(self, *args, days: float, hours: float, no_bill: bool, **options):
        seconds = days * 86400 + hours * 3600
        try:
            now = demo_clock_advance(seconds=seconds)
        except DemoClockError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Demo clock moved {seconds / 86400:g} days: now {now:%Y-%m-%d %H:%M} UTC."
        )
        if no_bill:
            return
        result = demo_bill_due()
        if result is None:
            self.stdout.write("No subscription is due.")
        else:
            self.stdout.write(
                f"Billed {result.succeeded} subscription(s); {result.failed} failed, "
                f"{result.deferred} deferred, {result.ended} ended."
            )
