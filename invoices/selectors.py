"""Reads of invoices. Every staff query starts from the portal; the public page resolves
an invoice by its token only. List totals are aggregated by the database."""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from commerce import ids, money
from commerce.documents import selectors as documents
from commerce.documents.kinds import DocumentContents, portal_today
from commerce.portals.access import for_portal, get_for_portal
from commerce.portals.models import Portal

from .kind import INVOICES
from .models import (
    UNPAID_STATUSES,
    Invoice,
    InvoiceEvent,
    InvoicePayment,
    InvoiceSettings,
    InvoiceStatus,
)
from .services import invoice_settings_for


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
    invoices = documents.search_documents(
        for_portal(Invoice.objects.all(), portal).select_related("contact"),
        search,
        number_in=_number_in,
        status=status,
        contact_id=contact_id,
        due_date__gte=due_from,
        due_date__lte=due_until,
        issue_date__gte=issued_from,
        issue_date__lte=issued_until,
    )
    if overdue:
        invoices = invoices.filter(_overdue(portal))
    return invoices.order_by("-created_at", "-id")


def _number_in(word: str) -> int | None:
    digits = "".join(ch for ch in word if ch in string.digits).lstrip("0")
    if len(digits) < 10 and "@" not in word:
        return ids.parse_int(digits, minimum=1)
    return None


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


def invoice_list_page(
    *, portal: Portal, page_number: str | int | None = 1, **filters
) -> documents.Listing:
    return documents.list_page(
        invoice_search(portal=portal, **filters), portal=portal, page_number=page_number
    )


def invoice_detail(*, portal: Portal, pk: int) -> Invoice:
    """One invoice of `portal` with what its page shows; a foreign or unknown id is a 404."""
    invoices = (
        for_portal(Invoice.objects.all(), portal)
        .select_related("portal", "contact", "source_quote", "duplicated_from")
        .prefetch_related("lines", "events__actor", "payments__payment")
    )
    return documents.document_or_404(invoices, pk=pk)


def invoice_get(*, portal: Portal, pk: int) -> Invoice:
    """One invoice of `portal` to edit or act on, with its portal; another portal's is a 404."""
    return get_for_portal(Invoice.objects.select_related("portal"), portal, pk=pk)


def invoice_events(invoice: Invoice) -> list[InvoiceEvent]:
    """The invoice's timeline (prefetched with their actors by `invoice_detail`)."""
    return list(invoice.events.all())


def invoice_payments(invoice: Invoice) -> list[InvoicePayment]:
    """The payments recorded on the invoice (prefetched by `invoice_detail`)."""
    return list(invoice.payments.all())


def invoice_payment_get(*, portal: Portal, invoice_pk: int, payment_pk: int) -> InvoicePayment:
    """One payment recorded on an invoice of `portal`, with its invoice; another portal's,
    or one of another invoice, is a 404."""
    payments = InvoicePayment.objects.select_related("invoice", "invoice__portal")
    return get_for_portal(payments, portal, pk=payment_pk, invoice_id=invoice_pk)


def invoice_for_public(*, token: str) -> Invoice:
    """The invoice behind a public link, in two queries (the invoice with its portal and
    contact; its lines). Drafts have no token; unknown tokens are a 404."""
    invoices = (
        Invoice.objects.select_related("portal", "contact", "portal__invoice_settings")
        .prefetch_related("lines")
        .exclude(status=InvoiceStatus.DRAFT)
    )
    return documents.document_for_token(invoices, token)


@dataclass(frozen=True)
class InvoiceDocument(DocumentContents):
    """Everything an invoice's page, PDF or e-mail shows: the same content everywhere."""

    invoice: Invoice
    is_overdue: bool

    @property
    def pays_online(self) -> bool:
        """The buyer's page offers to pay by card now."""
        return invoice_pay_refusal(self.invoice) is None


def invoice_document(invoice: Invoice) -> InvoiceDocument:
    lines, totals, problem = INVOICES.contents(invoice)
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
    if money.over_card_limit(invoice.amount_due):
        # Issued above the card limit on purpose (invoices.services._check_card_limit).
        portal = invoice.portal
        ask = f"{portal.name} ({portal.support_email})" if portal.support_email else portal.name
        return (
            f"A card can pay at most {money.format_cents(money.CARD_LIMIT_CENTS, invoice.currency)} "
            f"at once: please pay {name} by bank transfer or cheque"
            f"{', as the invoice says' if invoice.memo.strip() else ''}, or ask {ask} how to pay."
        )
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
