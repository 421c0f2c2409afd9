"""`manage.py export_invoice_payments --portal NAME [--since DATE] [--until DATE]
[--status S] [--output FILE]`: payments received on a portal's invoices as CSV."""

from __future__ import annotations

from typing import Any

from invoices.csv_io import write_payments_csv
from invoices.selectors import payment_export_queryset

from ..export_base import ExportCommand


class Command(ExportCommand):
    help = "Export the payments received on a portal's invoices (paid between --since and --until) as CSV."
    noun = "payments"
    date_help = "payment date"

    def queryset(self, **filters: Any):
        return payment_export_queryset(**filters)

    def writer(self):
        return write_payments_csv
