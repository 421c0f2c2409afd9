"""What the accounting export commands share: the filters (as the Accounting page has
them), a tqdm progress bar on standard error, and where the file goes: standard output
for one CSV, or --output (a .zip when the invoices need several files)."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from accounting import exports, selectors
from accounting.services import accounting_settings_for
from commerce.catalog.management.portal_option import portal_from_option
from commerce.documents.kinds import portal_today
from commerce.portals.models import Portal

from ..forms import default_period


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"“{value}” is not a date: use YYYY-MM-DD.") from None


class AccountingExportCommand(BaseCommand):
    fmt: exports.Format

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--portal", required=True, help="Portal id or name.")
        parser.add_argument(
            "--since", help="First day to include, YYYY-MM-DD (default: first of last month)."
        )
        parser.add_argument("--until", help="Last day to include, YYYY-MM-DD (default: today).")
        parser.add_argument(
            "--status",
            choices=[value for value, _ in selectors.EXPORT_STATUSES],
            help="Only invoices with this status (default: all but void).",
        )
        parser.add_argument(
            "--output",
            default="-",
            help="Where to write the file; - (default) for standard output.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def items(self, portal: Portal, filters: selectors.Filters) -> list[Any]:
        return selectors.invoices_for_export(portal=portal, filters=filters)

    def handle(self, *args: Any, **options: Any) -> None:
        portal = portal_from_option(options["portal"])
        default_since, default_until = default_period(portal_today(portal))
        since = _date(options["since"]) if options["since"] else default_since
        until = _date(options["until"]) if options["until"] else default_until
        if until < since:
            raise CommandError("--until is before --since.")
        filters = selectors.Filters(since=since, until=until, status=options["status"] or "")
        items = self.items(portal, filters)
        files = exports.file_count(self.fmt, len(items))
        path = options["output"]
        if files > 1 and (path == "-" or not path.endswith(".zip")):
            raise CommandError(
                f"{len(items)} invoices make {files} files of at most {self.fmt.per_file}: "
                "give --output FILE.zip."
            )
        quiet = options["no_progress"] or options["verbosity"] == 0

        def progress(rows: Iterable[Any]) -> Iterator[Any]:
            with tqdm(
                rows,
                total=len(items),
                desc=f"Exporting {self.fmt.title}",
                unit=" row" if self.fmt is exports.QUICKBOOKS_PAYMENTS else " invoice",
                file=sys.stderr,
                disable=quiet,
            ) as bar:
                yield from bar

        download = exports.build(
            self.fmt,
            items,
            accounting_settings_for(portal=portal),
            stamp=f"{since:%Y%m%d}-{until:%Y%m%d}",
            progress=progress,
        )
        what = (
            f"{len(items)} {'payments' if self.fmt is exports.QUICKBOOKS_PAYMENTS else 'invoices'}"
        )
        if path == "-":
            self.stdout.write(download.body.decode(), ending="")
            self.stderr.write(f"Exported {what} from {portal.name}.")
            return
        try:
            with open(path, "wb") as fh:
                fh.write(download.body)
        except OSError as exc:
            raise CommandError(f"Can't write {path}: {exc.strerror or exc}.") from None
        in_files = f" in {download.files} files" if download.files > 1 else ""
        self.stdout.write(
            self.style.SUCCESS(f"Exported {what} from {portal.name} to {path}{in_files}.")
        )
