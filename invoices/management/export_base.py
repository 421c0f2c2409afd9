"""What `export_invoices` and `export_invoice_payments` share: the options, the
filters and writing with a tqdm progress bar on standard error."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet
from tqdm import tqdm

from commerce.catalog.management.portal_option import portal_from_option
from invoices.models import InvoiceStatus


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"“{value}” is not a date: use YYYY-MM-DD.") from None


class ExportCommand(BaseCommand):
    noun = "rows"
    date_help = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--portal", required=True, help="Portal id or name.")
        parser.add_argument("--since", help=f"First {self.date_help} to include, YYYY-MM-DD.")
        parser.add_argument("--until", help=f"Last {self.date_help} to include, YYYY-MM-DD.")
        parser.add_argument(
            "--status",
            choices=[s.value for s in InvoiceStatus],
            help="Only invoices with this status.",
        )
        parser.add_argument(
            "--output", default="-", help="Where to write the CSV; - (default) for stdout."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def queryset(self, **filters: Any) -> QuerySet:
        raise NotImplementedError

    def writer(self) -> Callable[[Iterable[Any], IO[str]], int]:
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        portal = portal_from_option(options["portal"])
        since = _date(options["since"]) if options["since"] else None
        until = _date(options["until"]) if options["until"] else None
        if since and until and until < since:
            raise CommandError("--until is before --since.")
        rows = self.queryset(
            portal=portal, since=since, until=until, status=options["status"] or ""
        )
        total = rows.count()
        quiet = options["no_progress"] or options["verbosity"] == 0

        def progress(items: Iterator[Any]) -> Iterator[Any]:
            with tqdm(
                items,
                total=total,
                desc=f"Exporting {self.noun}",
                unit=" row",
                file=sys.stderr,
                disable=quiet,
            ) as bar:
                yield from bar

        path = options["output"]
        if path == "-":
            count = self.writer()(progress(rows.iterator()), self.stdout)  # type: ignore[arg-type]
            self.stderr.write(f"Exported {count} {self.noun} from {portal.name}.")
            return
        try:
            with open(path, "w", encoding="utf-8", newline="") as fh:
                count = self.writer()(progress(rows.iterator()), fh)
        except OSError as exc:
            raise CommandError(f"Can't write {path}: {exc.strerror or exc}.") from None
        self.stdout.write(
            self.style.SUCCESS(f"Exported {count} {self.noun} from {portal.name} to {path}.")
        )
