"""Reads of the accounting app: what the exports contain, in a fixed number of queries
whatever the number of invoices (two for invoices and their lines, one for payments)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet

from commerce.portals.access import for_portal
from commerce.portals.models import Portal
from invoices.models import Invoice, InvoiceLine, InvoicePayment, InvoiceStatus
from invoices.selectors import payment_export_queryset

# What an export may be filtered to: every finalized status. With no status chosen the
# exports leave out void invoices (they are not owed) as well as drafts (not numbered).
EXPORT_STATUSES = [(s.value, s.label) for s in InvoiceStatus if s != InvoiceStatus.DRAFT]


@dataclass(frozen=True)
class Filters:
    since: dt.date
    until: dt.date
    status: str = ""


def _invoices(portal: Portal, filters: Filters) -> QuerySet[Invoice]:
    invoices = for_portal(Invoice.objects.all(), portal).filter(
        number__isnull=False,
        issue_date__gte=filters.since,
        issue_date__lte=filters.until,
    )
    if filters.status:
        return invoices.filter(status=filters.status)
    return invoices.exclude(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.VOID])


def invoices_for_export(*, portal: Portal, filters: Filters) -> list[Invoice]:
    """The invoices issued in the period, oldest first, with contact and lines loaded."""
    lines = Prefetch("lines", queryset=InvoiceLine.objects.order_by("position", "id"))
    return list(
        _invoices(portal, filters)
        .select_related("contact", "source_quote")
        .prefetch_related(lines)
        .order_by("issue_date", "number", "id")
    )


def payments_for_export(*, portal: Portal, filters: Filters) -> list[InvoicePayment]:
    """Payments received against invoices in the period (by the day they were paid)."""
    payments = payment_export_queryset(
        portal=portal, since=filters.since, until=filters.until, status=filters.status
    )
    if not filters.status:
        payments = payments.exclude(invoice__status=InvoiceStatus.VOID)
    return list(payments)


@dataclass(frozen=True)
class Counts:
    invoices: int
    lines: int
    payments: int

    @property
    def empty(self) -> bool:
        return not (self.invoices or self.payments)


def export_counts(*, portal: Portal, filters: Filters) -> Counts:
    """How much each export holds (two queries), for the page."""
    found = _invoices(portal, filters).aggregate(
        invoices=Count("id", distinct=True), lines=Count("lines")
    )
    payments = payment_export_queryset(
        portal=portal, since=filters.since, until=filters.until, status=filters.status
    )
    if not filters.status:
        payments = payments.exclude(invoice__status=InvoiceStatus.VOID)
    return Counts(
        invoices=found["invoices"] or 0, lines=found["lines"] or 0, payments=payments.count()
    )
