"""Backfills payouts and the balance transactions each one paid out, with a progress bar.

    manage.py sync_payouts --portal <id or public id> [--since 2026-01-01]
    manage.py sync_payouts --all

Without `--since` it continues from the stored cursor (what the beat would do); with it,
it re-lists every payout created since that day (re-applying is a no-op).
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from commerce import ids
from commerce.portals.models import Portal
from payments.models import Payout, StripeAccount
from payments.payouts import services as payouts
from payments.stripe import StripeServiceError


class Command(BaseCommand):
    help = "Sync Stripe payouts and the balance transactions in each paid payout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--portal", help="Portal id or public id")
        parser.add_argument("--all", action="store_true", help="Every connected account")
        parser.add_argument("--since", help="YYYY-MM-DD: re-list payouts created since that day")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar")

    def handle(self, *args, **options) -> None:
        since = None
        if options["since"]:
            try:
                since = datetime.strptime(options["since"], "%Y-%m-%d").replace(tzinfo=UTC)
            except ValueError:
                raise CommandError("--since must be a date like 2026-01-31") from None
        accounts = StripeAccount.objects.filter(revoked=False).select_related("portal")
        if options["portal"]:
            accounts = accounts.filter(portal=self._portal(options["portal"]))
        elif not options["all"]:
            raise CommandError("Pass --portal <id> or --all")
        accounts = accounts.order_by("pk")
        if not accounts:
            raise CommandError("No connected Stripe account for that portal")
        for account in accounts:
            self._sync(account, since, progress=not options["no_progress"])

    def _portal(self, ref: str) -> Portal:
        portal = None
        if (pk := ids.parse_id(ref)) is not None:
            portal = Portal.objects.filter(pk=pk).first()
        else:
            with contextlib.suppress(ValueError):
                portal = Portal.objects.filter(public_id=uuid.UUID(ref)).first()
        if portal is None:
            raise CommandError(f"No portal {ref}")
        return portal

    def _sync(self, account: StripeAccount, since: datetime | None, *, progress: bool) -> None:
        label = f"{account.portal.name} ({account.stripe_id})"
        with tqdm(desc=label, unit=" payout", file=self.stderr, disable=not progress) as bar:

            def on_payout(payout: Payout) -> None:
                bar.update(1)
                bar.set_postfix(lines=payout.lines_count)

            try:
                result = payouts.payouts_sync_account(
                    account=account, since=since, on_payout=on_payout
                )
            except StripeServiceError as exc:
                raise CommandError(f"{label}: {exc} (run again to resume)") from None
        if result.skipped:
            self.stdout.write(f"{label}: another sync is running, skipped")
        else:
            self.stdout.write(
                f"{label}: {result.payouts} payouts listed, {result.lines} lines itemised, "
                f"{result.listing_calls + result.line_calls} Stripe calls"
            )
