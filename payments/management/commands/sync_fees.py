"""Backfills Stripe's fees from balance transactions, with a progress bar.

    manage.py sync_fees --portal <id or public id> [--since 2026-01-01]
    manage.py sync_fees --all

Without `--since` it continues from the stored cursor (what the beat would do); with it,
it re-reads everything created since that day (re-applying is a no-op).
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from commerce import ids
from commerce.portals.models import Portal
from payments.fees import services as fees
from payments.models import StripeAccount
from payments.stripe import StripeServiceError


class Command(BaseCommand):
    help = "Sync Stripe fees, nets and availability from balance transactions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--portal", help="Portal id or public id")
        parser.add_argument("--all", action="store_true", help="Every connected account")
        parser.add_argument("--since", help="YYYY-MM-DD: re-read transactions since that day")
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
        with tqdm(desc=label, unit=" txn", file=self.stderr, disable=not progress) as bar:
            totals = {"applied": 0}

            def on_page(seen: int, applied: int) -> None:
                totals["applied"] += applied
                bar.update(seen)
                bar.set_postfix(applied=totals["applied"])

            try:
                result = fees.fees_sync_account(account=account, since=since, on_page=on_page)
            except StripeServiceError as exc:
                raise CommandError(f"{label}: {exc} (run again to resume)") from None
        if result.skipped:
            self.stdout.write(f"{label}: another sync is running, skipped")
        else:
            self.stdout.write(
                f"{label}: {result.seen} transactions in {result.pages} pages, "
                f"{result.applied} rows updated"
            )
