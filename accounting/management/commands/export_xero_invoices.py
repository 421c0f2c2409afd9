"""`manage.py export_xero_invoices --portal NAME [--since DATE] [--until DATE] [--status S]
[--output FILE]`: invoices in Xero's sales invoice import template (a zip past 500)."""

from accounting import exports

from ..export_base import AccountingExportCommand


class Command(AccountingExportCommand):
    help = "Export a portal's invoices as Xero's sales invoice import CSV (zip past 500)."
    fmt = exports.XERO_INVOICES
