"""`manage.py export_invoices --portal NAME [--since DATE] [--until DATE] [--status S]
[--output FILE]`: a portal's invoices as CSV (columns in README.md)."""

from __future__ import annotations

from typing import Any

from invoices.csv_io import write_invoices_csv
from invoices.selectors import invoice_export_queryset

from ..export_base import ExportCommand


class Command(ExportCommand):
    help = "Export a portal's invoices (issued between --since and --until) as CSV."
    noun = "invoices"
    date_help = "issue date"

    def queryset(self, **filters: Any):
        return invoice_export_queryset(**filters)

    def writer(self):
        return write_invoices_csv
