"""`manage.py export_quickbooks_payments --portal NAME [--since DATE] [--until DATE]
[--status S] [--output FILE]`: payments received against invoices, for QuickBooks Online."""

from typing import Any

from accounting import exports, selectors
from commerce.portals.models import Portal

from ..export_base import AccountingExportCommand


class Command(AccountingExportCommand):
    help = "Export the payments a portal received against invoices, for QuickBooks Online."
    fmt = exports.QUICKBOOKS_PAYMENTS

    def items(self, portal: Portal, filters: selectors.Filters) -> list[Any]:
        return selectors.payments_for_export(portal=portal, filters=filters)
