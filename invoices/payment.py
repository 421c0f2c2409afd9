"""Paying an invoice online through the hosted checkout (payments/checkout).

The buyer pays what is due, or a part of it when the portal allows partial payments.
An invoice with nothing paid yet is charged as its own lines; a balance or a part is one
line, "Payment toward INV-0042". When the card payment succeeds the checkout records the
Payment and calls `invoice_checkout_paid`, which records it on the invoice. Both hooks,
`invoice_document` to start and `invoice_checkout_paid` to finish, are the invoice's
payable (registered in apps.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction
from django.urls import reverse

from commerce import money, pricing
from payments.checkout import Buyer, Document, payable_checkout_start
from payments.models import Checkout, Payment
from payments.payouts.origins import PaymentOrigin

from .models import Invoice
from .selectors import invoice_allows_partial_payment, invoice_pay_refusal
from .services import InvoiceError, invoice_record_online_payment, invoice_totals

log = logging.getLogger(__name__)


def invoice_order(invoice: Invoice, amount: int) -> dict:
    """The frozen order the buyer pays: the invoice's lines when `amount` is all of it,
    else one line for the amount."""
    if amount == invoice.total and invoice.amount_paid == 0:
        return invoice_totals(invoice).frozen()
    return pricing.freeze(
        pricing.compute(
            [
                pricing.Line(
                    name=f"Payment toward {invoice.display_number}", quantity=1, unit_amount=amount
                )
            ],
            invoice.currency,
        )
    )


def invoice_pay_start(*, invoice: Invoice, amount_text: str | None = None) -> Checkout:
    """The invoice's checkout with its PaymentIntent for the amount due, or for the part
    the buyer typed (`amount_text`, dollars) when the portal allows partial payments.

    `invoice` comes with its portal, contact and lines (selectors.invoice_for_public).
    Raises InvoiceError with a message for the buyer, or payments.checkout.CheckoutError /
    payments.stripe.StripeServiceError when the checkout cannot start.
    """
    return payable_checkout_start(source="invoice", document=invoice, amount_text=amount_text)


def invoice_document(invoice: Invoice, amount_text: str | None = None) -> Document:
    """The invoice's start hook: what its buyer pays now, all that is due or the part they
    typed. Raises InvoiceError, worded for them, when they can't."""
    refusal = invoice_pay_refusal(invoice)
    if refusal:
        raise InvoiceError(refusal)
    due = invoice.amount_due
    amount = due
    if amount_text is not None and invoice_allows_partial_payment(invoice):
        try:
            amount = money.parse_amount(amount_text, invoice.currency, allow_zero=False)
        except money.MoneyError as exc:
            raise InvoiceError(str(exc)) from None
        if amount > due:
            raise InvoiceError(
                f"You can pay at most {money.format_cents(due, invoice.currency)}, the amount due."
            )
    contact = invoice.contact
    if contact is None:
        raise InvoiceError(f"This invoice has no buyer. Please contact {invoice.portal.name}.")
    return Document(
        source="invoice",
        id=invoice.pk,
        portal=invoice.portal,
        description=f"Invoice {invoice.display_number}",
        order=invoice_order(invoice, amount),
        buyer=Buyer(email=contact.email, name=contact.full_name, phone=contact.phone),
        return_path=reverse("invoices_public:invoice", args=[invoice.public_token]),
    )


def invoice_checkout_paid(*, checkout: Checkout, payment: Payment) -> None:
    """The invoice's checkout succeeded (called inside the checkout's completion).

    Never undoes the payment's record: the money was taken, so an invoice that cannot
    take it any more (voided in the meantime) is logged for the seller instead.
    """
    if not checkout.document_id:
        return
    try:
        with transaction.atomic():
            invoice_record_online_payment(
                invoice_id=checkout.document_id, payment=payment, amount=payment.amount
            )
    except InvoiceError:
        log.exception(
            "checkout %s paid invoice %s, which could not record it",
            checkout.pk,
            checkout.document_id,
        )


def invoice_payment_origins(payments: Sequence[Payment]) -> dict[int, PaymentOrigin]:
    """The invoice each payment paid, for payout lines (one query)."""
    ids = {p.checkout.document_id for p in payments if p.checkout and p.checkout.document_id}
    invoices = {
        i.pk: i
        for i in Invoice.objects.filter(pk__in=ids).only(
            "pk", "portal_id", "number", "number_prefix"
        )
    }
    out = {}
    for payment in payments:
        invoice = invoices.get(payment.checkout.document_id or 0) if payment.checkout else None
        if invoice is not None and invoice.portal_id == payment.portal_id:
            url = reverse("invoices:detail", args=[invoice.pk])
            out[payment.pk] = PaymentOrigin("Invoice", invoice.display_number, url)
    return out
