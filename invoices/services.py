"""Writes of invoices. One function per action; each transition locks the invoice
(SELECT … FOR UPDATE), refuses an illegal move with an InvoiceError whose message can be
shown to a person, and records an InvoiceEvent on the timeline: the documents core does
these as for every document (`INVOICES`, invoices.kind), this module says what an
invoice does (payments, void, past due). A change the buyer's systems hear about records
its event (invoice.finalized, paid, partially_paid, voided, marked_uncollectible; sent
and past_due in emails.py and reminders.py) in its transaction, once per change
(`INVOICES.record_event`). E-mails go out after commit (commerce.notifications).

Lines are checked and priced by the documents core (`commerce.documents` →
`commerce.pricing`); an invoice has no document-level discount and bills once, so every
line is one-time.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.db import transaction

from commerce import money
from commerce.clock import hub_now
from commerce.customers.models import Contact
from commerce.documents.kinds import portal_today
from commerce.documents.lines import LineInput, copy_lines
from commerce.documents.pricing import DocumentTotals
from commerce.notifications import notify_portal
from commerce.portals.models import Portal, User
from quotes.models import Quote, QuoteStatus
from quotes.services import quote_totals

from .kind import INVOICES, InvoiceError
from .models import (
    MANUAL_METHODS,
    TERM_DAYS,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoicePayment,
    InvoiceSettings,
    InvoiceStatus,
    PaymentMethod,
    PaymentTerms,
)

# --- Helpers ----------------------------------------------------------------------


def invoice_settings_for(*, portal: Portal) -> InvoiceSettings:
    return INVOICES.settings_for(portal)


def due_date_for(issue_date: dt.date, terms: str, custom_due: dt.date | None = None) -> dt.date:
    """The due date the payment terms give; a custom date must not be before the issue."""
    if terms == PaymentTerms.CUSTOM:
        if custom_due is None:
            raise InvoiceError("Choose the due date, or pick payment terms such as Net 30.")
        if custom_due < issue_date:
            raise InvoiceError("The due date cannot be before the issue date.")
        return custom_due
    if terms not in TERM_DAYS:
        raise InvoiceError("Choose payment terms.")
    return issue_date + dt.timedelta(days=TERM_DAYS[PaymentTerms(terms)])


def price_invoice_lines(lines: Sequence[LineInput | InvoiceLine]) -> DocumentTotals:
    """Totals of an invoice's lines (lines as entered are made one-time), or an
    InvoiceError."""
    return INVOICES.price(
        [INVOICES.line_for(line) if isinstance(line, LineInput) else line for line in lines]
    )


def invoice_totals(invoice: Invoice, lines: Sequence[InvoiceLine] | None = None) -> DocumentTotals:
    return INVOICES.totals(invoice, lines)


def _check_card_limit(lines: Sequence[LineInput], *, above_card_limit: bool) -> None:
    """An invoice's buyer pays by card unless the seller chose to issue it above the card
    limit (`above_card_limit`): then its page offers no card payment, and the buyer pays
    by bank transfer or cheque."""
    if above_card_limit:
        return
    totals = price_invoice_lines(lines)
    refusal = money.card_limit_refusal(totals.total, totals.currency, what="The total")
    if refusal:
        raise InvoiceError(
            f"{refusal} Lower the quantities or split the invoice, or tick “Issue above the "
            "card limit” to have the buyer pay by bank transfer or cheque."
        )


def _check_contact(portal: Portal, contact: Contact | None) -> None:
    if contact is not None and contact.portal_id != portal.pk:
        raise InvoiceError("Choose a contact of this portal.")


def status_from_amounts(invoice: Invoice, today: dt.date) -> str:
    """What a finalized invoice's payments and dates make it (void/uncollectible aside)."""
    if invoice.amount_paid >= invoice.total:
        return InvoiceStatus.PAID
    if today > invoice.due_date:
        return InvoiceStatus.PAST_DUE
    if invoice.amount_paid > 0:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.OPEN


# --- Building ---------------------------------------------------------------------


@transaction.atomic
def invoice_create(
    *,
    portal: Portal,
    actor: User | None,
    contact: Contact | None,
    issue_date: dt.date,
    payment_terms: str = PaymentTerms.NET_30,
    due_date: dt.date | None = None,
    lines: Sequence[LineInput] = (),
    memo: str = "",
    above_card_limit: bool = False,
) -> Invoice:
    """A new draft (no number yet: numbers are handed out at finalization). A total above
    the card limit is refused unless `above_card_limit` (paid by hand, not by card)."""
    _check_contact(portal, contact)
    _check_card_limit(lines, above_card_limit=above_card_limit)
    return INVOICES.create(
        portal,
        actor=actor,
        lines=lines,
        contact=contact,
        created_by=actor,
        currency=portal.currency,
        issue_date=issue_date,
        payment_terms=payment_terms,
        due_date=due_date_for(issue_date, payment_terms, due_date),
        memo=memo,
    )


@transaction.atomic
def invoice_update(
    *,
    invoice: Invoice,
    actor: User | None,
    contact: Contact | None,
    issue_date: dt.date,
    payment_terms: str,
    due_date: dt.date | None = None,
    lines: Sequence[LineInput],
    memo: str = "",
    above_card_limit: bool = False,
) -> Invoice:
    """Replaces a draft's fields and lines (locks the invoice). A finalized one is locked.
    A total above the card limit is refused unless `above_card_limit`."""
    locked = INVOICES.lock(invoice)
    INVOICES.check(locked, "edit")
    _check_contact(locked.portal, contact)
    _check_card_limit(lines, above_card_limit=above_card_limit)
    return INVOICES.update(
        locked,
        actor=actor,
        lines=lines,
        contact=contact,
        issue_date=issue_date,
        payment_terms=payment_terms,
        due_date=due_date_for(issue_date, payment_terms, due_date),
        memo=memo,
    )


@transaction.atomic
def invoice_duplicate(*, invoice: Invoice, actor: User | None) -> Invoice:
    """A new draft with the same contact, lines, memo and terms, issued today."""
    source = Invoice.objects.select_related("portal").get(
        pk=invoice.pk, portal_id=invoice.portal_id
    )
    today = portal_today(source.portal)
    terms = source.payment_terms
    custom_due = None
    if terms == PaymentTerms.CUSTOM:
        custom_due = today + (source.due_date - source.issue_date)
    return INVOICES.create(
        source.portal,
        actor=actor,
        lines=copy_lines(source.lines.select_related("product")),
        event=InvoiceEvent.Kind.DUPLICATED,
        detail=f"From {source.display_number}",
        contact=source.contact,
        created_by=actor,
        currency=source.currency,
        issue_date=today,
        payment_terms=terms,
        due_date=due_date_for(today, terms, custom_due),
        memo=source.memo,
        duplicated_from=source,
    )


@transaction.atomic
def invoice_create_from_quote(*, quote: Quote, actor: User | None) -> Invoice:
    """A draft invoice for an accepted (or paid) quote, one per quote (locks the quote).
    The quote's own discount is folded into the line discounts, so the invoice's total is
    the quote's total due today; a recurring line is billed for its first period."""
    locked = Quote.objects.select_for_update().select_related("portal").get(pk=quote.pk)
    if locked.status not in (QuoteStatus.ACCEPTED, QuoteStatus.PAID):
        raise InvoiceError(
            f"{locked.display_number} is {locked.get_status_display().lower()}: only an "
            "accepted or paid quote can be converted to an invoice."
        )
    existing = Invoice.objects.filter(source_quote=locked).first()
    if existing is not None:
        raise InvoiceError(
            f"{locked.display_number} was already converted to {existing.display_number}."
        )
    totals = quote_totals(locked)
    source_lines = list(locked.lines.select_related("product"))
    lines = copy_lines(source_lines)
    if totals.document_discount:
        lines = [
            replace(line, discount_percent=None, discount_amount=priced.discount or None)
            for line, priced in zip(lines, totals.lines, strict=True)
        ]
    invoice_settings = invoice_settings_for(portal=locked.portal)
    today = portal_today(locked.portal)
    return INVOICES.create(
        locked.portal,
        actor=actor,
        lines=lines,
        event=InvoiceEvent.Kind.CONVERTED,
        detail=f"From {locked.display_number}",
        contact=locked.contact,
        created_by=actor,
        currency=locked.currency,
        issue_date=today,
        payment_terms=PaymentTerms.NET_30,
        due_date=due_date_for(today, PaymentTerms.NET_30),
        memo=locked.comments or invoice_settings.default_memo,
        source_quote=locked,
    )


# --- Transitions --------------------------------------------------------------------


@transaction.atomic
def invoice_finalize(
    *, invoice: Invoice, actor: User | None, now: dt.datetime | None = None
) -> Invoice:
    """draft → open: checks the content, assigns the next number and the unguessable
    public token, and locks the invoice for edits (locks the invoice, then the portal's
    InvoiceSettings row)."""
    now = now or hub_now()
    locked = INVOICES.lock(invoice)
    INVOICES.check(locked, "finalize")
    lines = INVOICES.issuable_lines(locked, "finalizing")
    if locked.due_date < locked.issue_date:
        raise InvoiceError("The due date cannot be before the issue date.")
    totals = invoice_totals(locked, lines)
    if totals.total <= 0:
        raise InvoiceError("The invoice total must be more than $0.00 to finalize it.")
    INVOICES.keep_totals(locked, totals)
    locked.number_prefix, locked.number = INVOICES.next_number(locked.portal)
    locked.public_token = secrets.token_urlsafe(32)
    locked.finalized_at = now
    locked.status = status_from_amounts(locked, portal_today(locked.portal, now))
    locked.save(update_fields=["number_prefix", "number", "public_token", "finalized_at", "status"])
    INVOICES.record(locked, InvoiceEvent.Kind.FINALIZED, actor=actor, detail=locked.display_number)
    INVOICES.record_event(locked, "invoice.finalized")
    return locked


@transaction.atomic
def invoice_void(*, invoice: Invoice, actor: User | None, reason: str = "") -> Invoice:
    """open / past due → void, only when no payment was recorded (locks the invoice)."""
    locked = INVOICES.lock(invoice)
    INVOICES.check(locked, "void")
    if locked.amount_paid or locked.payments.exists():
        raise InvoiceError(
            f"{locked.display_number} has payments: an invoice can be voided only without "
            "payments. Delete the manual payments (or refund the card payment) first."
        )
    INVOICES.move(
        locked,
        InvoiceStatus.VOID,
        event=InvoiceEvent.Kind.VOIDED,
        actor=actor,
        detail=reason.strip(),
        voided_at=hub_now(),
    )
    INVOICES.record_event(locked, "invoice.voided")
    return locked


@transaction.atomic
def invoice_mark_uncollectible(
    *, invoice: Invoice, actor: User | None, reason: str = ""
) -> Invoice:
    """open / partially paid / past due → uncollectible: reminders stop (locks the invoice)."""
    locked = INVOICES.lock(invoice)
    INVOICES.check(locked, "mark_uncollectible")
    INVOICES.move(
        locked,
        InvoiceStatus.UNCOLLECTIBLE,
        event=InvoiceEvent.Kind.UNCOLLECTIBLE,
        actor=actor,
        detail=reason.strip(),
        uncollectible_at=hub_now(),
    )
    INVOICES.record_event(locked, "invoice.marked_uncollectible")
    return locked


def _settle(locked: Invoice, *, actor: User | None, now: dt.datetime | None = None) -> str:
    """Recomputes amount_paid and the status from the payment rows (invoice locked);
    returns the status it had before."""
    paid = sum(locked.payments.values_list("amount", flat=True))
    before = locked.status
    locked.amount_paid = paid
    if locked.status != InvoiceStatus.UNCOLLECTIBLE or paid >= locked.total:
        locked.status = status_from_amounts(locked, portal_today(locked.portal, now))
    if locked.status == InvoiceStatus.PAID and before != InvoiceStatus.PAID:
        locked.paid_at = now or hub_now()
        INVOICES.record(locked, InvoiceEvent.Kind.PAID, actor=actor)
    elif locked.status != InvoiceStatus.PAID:
        locked.paid_at = None
    locked.save(update_fields=["amount_paid", "status", "paid_at", "updated_at"])
    return before


def _record_payment_event(locked: Invoice, *, before: str) -> None:
    """The event of a payment just settled: invoice.paid when it paid the invoice in full,
    invoice.partially_paid when some is still due. Money taken online on an invoice that
    was already paid (an overpayment) changes no status: its payment.succeeded says it."""
    if locked.status != InvoiceStatus.PAID:
        INVOICES.record_event(locked, "invoice.partially_paid")
    elif before != InvoiceStatus.PAID:
        INVOICES.record_event(locked, "invoice.paid")


@transaction.atomic
def invoice_record_payment(
    *,
    invoice: Invoice,
    actor: User | None,
    method: str,
    amount: int,
    paid_on: dt.date,
    reference: str = "",
) -> InvoicePayment:
    """Records money received by hand (cash, cheque, bank transfer, other), at most the
    amount due (locks the invoice)."""
    locked = INVOICES.lock(invoice)
    INVOICES.check(locked, "record_payment")
    if method not in MANUAL_METHODS:
        raise InvoiceError("Choose how the money was paid: cash, cheque, bank transfer or other.")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvoiceError("The amount must be more than $0.00.")
    due = locked.amount_due
    if amount > due:
        raise InvoiceError(
            f"{money.format_cents(amount, locked.currency)} is more than the amount due "
            f"({money.format_cents(due, locked.currency)})."
        )
    if paid_on > portal_today(locked.portal):
        raise InvoiceError("The payment date cannot be in the future.")
    payment = InvoicePayment.objects.create(
        portal=locked.portal,
        invoice=locked,
        method=method,
        amount=amount,
        paid_on=paid_on,
        reference=reference.strip()[:200],
        recorded_by=actor,
    )
    INVOICES.record(
        locked,
        InvoiceEvent.Kind.PAYMENT,
        actor=actor,
        detail=f"{money.format_cents(amount, locked.currency)} by "
        f"{payment.get_method_display().lower()}"
        + (f" ({payment.reference})" if reference else ""),
    )
    _record_payment_event(locked, before=_settle(locked, actor=actor))
    return payment


@transaction.atomic
def invoice_delete_payment(*, invoice: Invoice, actor: User | None, payment_id: int) -> Invoice:
    """Deletes a manual payment; the invoice reopens (open / partially paid / past due as
    the dates say). Card payments are refunded in the payments tool instead."""
    locked = INVOICES.lock(invoice)
    payment = InvoicePayment.objects.filter(invoice=locked, pk=payment_id).first()
    if payment is None:
        raise InvoiceError("That payment is not on this invoice.")
    if not payment.is_manual:
        raise InvoiceError("A card payment cannot be deleted: refund it in Payments instead.")
    if locked.status == InvoiceStatus.VOID:
        raise InvoiceError(f"{locked.display_number} is void.")
    detail = f"{money.format_cents(payment.amount, locked.currency)} by {payment.get_method_display().lower()}"
    payment.delete()
    INVOICES.record(locked, InvoiceEvent.Kind.PAYMENT_DELETED, actor=actor, detail=detail)
    _settle(locked, actor=actor)
    return locked


@transaction.atomic
def invoice_record_online_payment(*, invoice_id: int, payment: Any, amount: int) -> Invoice:
    """Called by the checkout's completion, inside its transaction, when the buyer's card
    payment for the invoice succeeded. Locks the invoice. Idempotent for the same
    `payment` (completion may run twice: page return and webhook). The money has already
    moved, so an amount above what is due is still recorded (the timeline says by how
    much it was overpaid); a draft or void invoice refuses, as the checkout must have
    refused before charging (`invoice_pay_refusal`). Notifies the portal after commit."""
    invoice = Invoice.objects.filter(pk=invoice_id).only("pk", "portal_id").first()
    if invoice is None:
        raise InvoiceError("This invoice no longer exists.")
    locked = INVOICES.lock(invoice)
    if InvoicePayment.objects.filter(invoice=locked, payment=payment).exists():
        return locked
    if locked.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID):
        raise InvoiceError(f"{locked.display_number} is {locked.get_status_display().lower()}.")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvoiceError("A payment amount must be more than zero cents.")
    due = locked.amount_due
    InvoicePayment.objects.create(
        portal=locked.portal,
        invoice=locked,
        method=PaymentMethod.CARD,
        amount=amount,
        paid_on=portal_today(locked.portal),
        reference=getattr(payment, "payment_intent_id", "") or "",
        payment=payment,
    )
    detail = f"{money.format_cents(amount, locked.currency)} by card, online"
    if amount > due:
        detail += f"; overpaid by {money.format_cents(amount - due, locked.currency)}"
    INVOICES.record(locked, InvoiceEvent.Kind.PAYMENT, detail=detail)
    _record_payment_event(locked, before=_settle(locked, actor=None))
    notify_portal(
        portal=locked.portal,
        template="invoice_paid",
        context={
            "invoice": locked,
            "amount": amount,
            "site_url": settings.SITE_URL,
            "url": settings.SITE_URL + locked.get_absolute_url(),
        },
    )
    return locked


# --- Settings -----------------------------------------------------------------------


@transaction.atomic
def invoice_settings_update(
    *,
    portal: Portal,
    prefix: str,
    default_memo: str = "",
    allow_partial_payments: bool = False,
    remind_days_before: int | None = 3,
    remind_on_due_date: bool = True,
    remind_every_days_after: int | None = 7,
    remind_max_after: int = 3,
) -> InvoiceSettings:
    invoice_settings_for(portal=portal)
    locked = InvoiceSettings.objects.select_for_update().get(portal=portal)
    prefix = prefix.strip()
    if len(prefix) > 12 or any(not (c.isalnum() or c in "-/.") for c in prefix):
        raise InvoiceError("A prefix has at most 12 letters, digits, dashes, slashes or dots.")
    if remind_days_before is not None and not 1 <= remind_days_before <= 60:
        raise InvoiceError("Remind between 1 and 60 days before the due date, or leave it empty.")
    if remind_every_days_after is not None and not 1 <= remind_every_days_after <= 90:
        raise InvoiceError("Repeat reminders every 1 to 90 days, or leave it empty.")
    if not 0 <= remind_max_after <= 20:
        raise InvoiceError("Send at most 20 reminders after the due date.")
    locked.prefix = prefix
    locked.default_memo = default_memo
    locked.allow_partial_payments = allow_partial_payments
    locked.remind_days_before = remind_days_before
    locked.remind_on_due_date = remind_on_due_date
    locked.remind_every_days_after = remind_every_days_after
    locked.remind_max_after = remind_max_after
    locked.save()
    return locked
