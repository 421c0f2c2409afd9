"""`manage.py import_products --portal <id or name> FILE`: CSV into the product library.

All rows or none: every row is validated first, with the same rules as the product
page, and any problem is listed with its row number while nothing changes.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from commerce.catalog.csv_io import COLUMN_HELP, MAX_FILE_BYTES
from commerce.catalog.services import ProductImportError, Progress, product_import

from ..portal_option import portal_from_option


class Command(BaseCommand):
    help = (
        "Import products from a CSV file (UTF-8) into a portal. Rows whose SKU matches a "
        "product of the portal update it; the others create products. Nothing is imported "
        "if any row is invalid. Columns: "
        + "; ".join(
            f"{name}{' (required)' if required else ''}" for name, required, _ in COLUMN_HELP
        )
        + "."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--portal", required=True, help="Portal id or name.")
        parser.add_argument("file", help="CSV file to import, or - for standard input.")

    def handle(self, *args: Any, **options: Any) -> None:
        portal = portal_from_option(options["portal"])
        path = options["file"]
        try:
            if path == "-":
                content = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
            else:
                with open(path, "rb") as fh:
                    # One byte more than allowed is enough to refuse an oversized file.
                    content = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"Can't read {path}: {exc.strerror or exc}.") from None

        stream = getattr(self.stderr, "_out", sys.stderr)

        def progress(description: str, total: int) -> Progress:
            return tqdm(desc=description, total=total, unit="row", file=stream, leave=True)

        try:
            result = product_import(portal=portal, content=content, progress=progress)
        except ProductImportError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            problems = len(exc.errors)
            raise CommandError(
                f"Nothing was imported into {portal.name}: "
                f"{problems} problem{'s' if problems != 1 else ''}."
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Imported into {portal.name}: {result.summary}."))
