"""`manage.py export_products --portal <id or name> [FILE|-]`: the product library as CSV.

The file has the columns `import_products` reads, archived products included, so an
export imported again changes nothing.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from commerce.catalog.csv_io import write_products_csv
from commerce.catalog.selectors import product_export_queryset

from ..portal_option import portal_from_option


class Command(BaseCommand):
    help = "Export a portal's products (archived included) as CSV to FILE, or to standard output."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--portal", required=True, help="Portal id or name.")
        parser.add_argument(
            "file", nargs="?", default="-", help="Where to write the CSV; - (default) for stdout."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        portal = portal_from_option(options["portal"])
        products = product_export_queryset(portal=portal).iterator()
        path = options["file"]
        if path == "-":
            buffer = io.StringIO()
            count = write_products_csv(products, buffer)
            self.stdout.write(buffer.getvalue(), ending="")
            self.stderr.write(f"Exported {count} products from {portal.name}.")
            return
        try:
            with open(path, "w", encoding="utf-8", newline="") as fh:
                count = write_products_csv(products, fh)
        except OSError as exc:
            raise CommandError(f"Can't write {path}: {exc.strerror or exc}.") from None
        self.stdout.write(
            self.style.SUCCESS(f"Exported {count} products from {portal.name} to {path}.")
        )
