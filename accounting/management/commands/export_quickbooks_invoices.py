"""`manage.py export_quickbooks_invoices --portal NAME [--since DATE] [--until DATE]
[--status S] [--output FILE]`: invoices in QuickBooks Online's invoice import columns."""

from accounting import exports

from ..export_base import AccountingExportCommand


class Command(AccountingExportCommand):
    help = "Export a portal's invoices as QuickBooks Online's invoice import CSV."
    fmt = exports.QUICKBOOKS_INVOICES
