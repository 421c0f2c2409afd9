"""Reads of invoices. Every staff query starts from the portal; the public page resolves
an invoice by its token only. List totals are aggregated by the database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404

from commerce.customers.models import Contact
from commerce.portals.access import for_portal
from commerce.portals.models import Portal
from quotes.pricing import QuoteTotals

from .models import (
    UNPAID_STATUSES,
    Invoice,
    InvoiceLine,
    InvoicePayment,
    InvoiceSettings,
    InvoiceStatus,
)
from .services import InvoiceError, invoice_settings_for, invoice_totals, portal_today

PAGE_SIZE = 25


def invoice_search(
    *,
    portal: Portal,
    search: str = "",
    status: str = "",
    contact_id: int | None = None,
    due_from: dt.date | None = None,
    due_until: dt.date | None = None,
    overdue: bool = False,
    issued_from: dt.date | None = None,
    issued_until: dt.date | None = None,
) -> QuerySet[Invoice]:
    """Invoices of `portal`, newest first. Every word of `search` must appear in the
    contact's name, company or e-mail, or be the number ("INV-0012" or "12")."""
    invoices = for_portal(Invoice.objects.all(), portal).select_related("contact")
    if status:
        invoices = invoices.filter(status=status)
    if contact_id:
        invoices = invoices.filter(contact_id=contact_id)
    if due_from:
        invoices = invoices.filter(due_date__gte=due_from)
    if due_until:
        invoices = invoices.filter(due_date__lte=due_until)
    if issued_from:
        invoices = invoices.filter(issue_date__gte=issued_from)
    if issued_until:
        invoices = invoices.filter(issue_date__lte=issued_until)
    if overdue:
        invoices = invoices.filter(_overdue(portal))
    for word in search.split():
        match = (
            Q(contact__email__icontains=word)
            | Q(contact__first_name__icontains=word)
            | Q(contact__last_name__icontains=word)
            | Q(contact__company__icontains=word)
        )
        digits = "".join(ch for ch in word if ch.isdigit()).lstrip("0")
        if digits and len(digits) < 10 and not any(ch == "@" for ch in word):
            match |= Q(number=int(digits))
        invoices = invoices.filter(match)
    return invoices.order_by("-created_at", "-id")


def _overdue(portal: Portal) -> Q:
    return Q(status__in=UNPAID_STATUSES, due_date__lt=portal_today(portal))


@dataclass(frozen=True)
class InvoiceSummary:
    outstanding: int  # amount due on every unpaid invoice
    outstanding_count: int
    overdue: int  # the part of it that is past its due date
    overdue_count: int


def invoice_summary(*, portal: Portal) -> InvoiceSummary:
    """Outstanding and overdue amounts, in one aggregate query."""
    due = F("total") - F("amount_paid")
    unpaid = Q(status__in=UNPAID_STATUSES)
    overdue = _overdue(portal)
    row = for_portal(Invoice.objects.all(), portal).aggregate(
        outstanding=Coalesce(Sum(due, filter=unpaid), 0),
        outstanding_count=Count("id", filter=unpaid),
        overdue=Coalesce(Sum(due, filter=overdue), 0),
        overdue_count=Count("id", filter=overdue),
    )
    return InvoiceSummary(**row)


@dataclass(frozen=True)
class InvoiceListing:
    page: Page
    is_empty: bool  # the portal has no invoice at all


def invoice_list_page(
    *, portal: Portal, page_number: str | int | None = 1, **filters
) -> InvoiceListing:
    page = Paginator(invoice_search(portal=portal, **filters), PAGE_SIZE).get_page(page_number)
    is_empty = not page.object_list and not for_portal(Invoice.objects.all(), portal).exists()
    return InvoiceListing(page=page, is_empty=is_empty)


def invoice_contacts(*, portal: Portal) -> QuerySet[Contact]:
    return for_portal(Contact.objects.all(), portal).order_by("first_name", "last_name", "email")


def invoice_detail(*, portal: Portal, pk: int) -> Invoice:
    """One invoice of `portal` with what its page shows; a foreign or unknown id is a 404."""
    try:
        return (
            for_portal(Invoice.objects.all(), portal)
            .select_related("portal", "contact", "source_quote", "duplicated_from")
            .prefetch_related("lines", "events__actor", "payments__payment")
            .get(pk=pk)
        )
    except (Invoice.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found") from None


def invoice_for_public(*, token: str) -> Invoice:
    """The invoice behind a public link, in two queries (the invoice with its portal and
    contact; its lines). Drafts have no token; unknown tokens are a 404."""
    if not token or len(token) > 64:
        raise Http404("Not found")
    try:
        return (
            Invoice.objects.select_related("portal", "contact", "portal__invoice_settings")
            .prefetch_related("lines")
            .exclude(status=InvoiceStatus.DRAFT)
            .get(public_token=token)
        )
    except Invoice.DoesNotExist:
        raise Http404("Not found") from None


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything an invoice's page, PDF or e-mail shows: the same content everywhere."""

    invoice: Invoice
    lines: list[InvoiceLine]
    totals: QuoteTotals | None
    problem: str  # why totals could not be computed (only possible on a draft)
    is_overdue: bool

    @property
    def rows(self) -> list[tuple[InvoiceLine, int]]:
        if self.totals is None:
            return [(line, 0) for line in self.lines]
        return list(zip(self.lines, self.totals.line_amounts, strict=True))


def invoice_document(invoice: Invoice) -> InvoiceDocument:
    lines = list(invoice.lines.all())
    try:
        totals: QuoteTotals | None = invoice_totals(invoice, lines)
        problem = ""
    except InvoiceError as exc:
        totals, problem = None, str(exc)
    return InvoiceDocument(
        invoice=invoice,
        lines=lines,
        totals=totals,
        problem=problem,
        is_overdue=invoice.is_overdue_on(portal_today(invoice.portal)),
    )


# --- Paying online (the hosted checkout calls these) ----------------------------------


def invoice_pay_refusal(invoice: Invoice) -> str | None:
    """Why the buyer cannot pay this invoice online, in words for the buyer; None when
    they can."""
    name = invoice.display_number
    if invoice.status == InvoiceStatus.DRAFT:
        return "This invoice is not finalized yet, so it cannot be paid."
    if invoice.status == InvoiceStatus.VOID:
        return f"{name} was voided: there is nothing to pay."
    if invoice.status == InvoiceStatus.PAID or invoice.amount_due <= 0:
        return f"{name} is already paid. Thank you!"
    if invoice.status == InvoiceStatus.UNCOLLECTIBLE:
        return f"{name} can no longer be paid online. Please contact {invoice.portal.name}."
    return None


def invoice_payable_amount(invoice: Invoice) -> int:
    """The amount due, in cents, that the buyer may pay online now; 0 when not payable."""
    if invoice_pay_refusal(invoice) is not None:
        return 0
    return invoice.amount_due


def invoice_allows_partial_payment(invoice: Invoice) -> bool:
    """Whether the portal lets buyers pay part of the amount due (InvoiceSettings)."""
    try:
        invoice_settings: InvoiceSettings = invoice.portal.invoice_settings
    except InvoiceSettings.DoesNotExist:
        invoice_settings = invoice_settings_for(portal=invoice.portal)
    return invoice_settings.allow_partial_payments


# --- Export ---------------------------------------------------------------------------


def invoice_export_queryset(
    *,
    portal: Portal,
    since: dt.date | None = None,
    until: dt.date | None = None,
    status: str = "",
    **filters: Any,
) -> QuerySet[Invoice]:
    """Invoices issued between `since` and `until` (inclusive), oldest first; `filters`
    are the list's (search, contact, due dates, overdue), so the list's export button
    exports what the list shows."""
    invoices = invoice_search(
        portal=portal, status=status, issued_from=since, issued_until=until, **filters
    )
    return invoices.select_related("contact", "source_quote").order_by("issue_date", "number", "id")


def payment_export_queryset(
    *,
    portal: Portal,
    since: dt.date | None = None,
    until: dt.date | None = None,
    status: str = "",
) -> QuerySet[InvoicePayment]:
    """Payments received between `since` and `until` (inclusive); `status` is the
    invoice's status."""
    payments = for_portal(InvoicePayment.objects.all(), portal).select_related(
        "invoice__contact", "payment"
    )
    if since:
        payments = payments.filter(paid_on__gte=since)
    if until:
        payments = payments.filter(paid_on__lte=until)
    if status:
        payments = payments.filter(invoice__status=status)
    return payments.order_by("paid_on", "id")
