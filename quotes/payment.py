"""Paying an accepted quote through the hosted checkout (payments/checkout).

The buyer pays the quote's total due today: its one-time lines and the first period of
its recurring lines, after every discount and tax, as the quote page shows it. When the
payment succeeds the checkout records the Payment, creates one subscription per group of
recurring lines (same billing frequency and term) and calls `quote_checkout_paid`, which
marks the quote paid and tells its owner. Both hooks, `quote_document` to start and
`quote_checkout_paid` to finish, are the quote's payable (registered in apps.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction
from django.urls import reverse

from commerce import money
from payments.checkout import Buyer, Document, payable_checkout_start
from payments.models import Checkout, Payment
from payments.payouts.origins import PaymentOrigin

from .models import Quote, QuoteStatus
from .services import QuoteError, quote_mark_paid, quote_totals

log = logging.getLogger(__name__)


def quote_pay_refusal(quote: Quote) -> str | None:
    """Why the buyer cannot pay this quote online now, in words for them; None if they can."""
    if quote.status == QuoteStatus.PAID:
        return "This quote is already paid. Thank you!"
    if quote.status != QuoteStatus.ACCEPTED:
        return "Accept the quote first: payment follows your signature."
    if not quote.requires_payment:
        return f"{quote.portal.name} will send payment instructions separately."
    if money.over_card_limit(quote_totals(quote).total):
        # The builder refuses this since the card limit is checked there; kept for older
        # quotes, so the buyer gets words instead of a card payment Stripe refuses.
        return (
            f"This quote comes to more than a card can pay at once: {quote.portal.name} "
            "will send payment instructions separately."
        )
    return None


def quote_pay_start(*, quote: Quote) -> Checkout:
    """The quote's checkout with its PaymentIntent (reused while it is in progress).

    `quote` comes with its portal, contact and lines (selectors.quote_for_public). Raises
    QuoteError when the quote cannot be paid, payments.checkout.CheckoutError or
    payments.stripe.StripeServiceError when the checkout cannot start.
    """
    return payable_checkout_start(source="quote", document=quote)


def quote_document(quote: Quote) -> Document:
    """The quote's start hook: what its buyer pays now. Raises QuoteError when they can't."""
    refusal = quote_pay_refusal(quote)
    if refusal:
        raise QuoteError(refusal)
    contact = quote.contact
    if contact is None:  # publish requires a contact; a deleted one leaves nobody to pay
        raise QuoteError("This quote has no buyer. Contact the seller.")
    order = quote_totals(quote).frozen()
    return Document(
        source="quote",
        id=quote.pk,
        portal=quote.portal,
        description=f"Quote {quote.display_number} · {quote.title}",
        order=order,
        buyer=Buyer(email=contact.email, name=contact.full_name, phone=contact.phone),
        return_path=reverse("quotes:public", args=[quote.public_token]),
    )


def quote_checkout_paid(*, checkout: Checkout, payment: Payment) -> None:
    """The quote's checkout succeeded (called inside the checkout's completion).

    Never undoes the payment's record: money was taken, so a quote that can no longer be
    marked paid (reverted or changed by hand in the meantime) is logged for the seller
    instead of failing the completion.
    """
    quote = (
        Quote.objects.filter(pk=checkout.document_id, portal_id=checkout.portal_id).first()
        if checkout.document_id
        else None
    )
    if quote is None:
        log.error(
            "checkout %s paid quote %s, which no longer exists", checkout.pk, checkout.document_id
        )
        return
    try:
        with transaction.atomic():
            quote_mark_paid(quote=quote, payment=payment)
    except QuoteError:
        log.exception(
            "checkout %s paid quote %s, which could not be marked paid", checkout.pk, quote.pk
        )


def quote_payment_origins(payments: Sequence[Payment]) -> dict[int, PaymentOrigin]:
    """The quote each payment paid, for payout lines (one query)."""
    ids = {p.checkout.document_id for p in payments if p.checkout and p.checkout.document_id}
    quotes = {q.pk: q for q in Quote.objects.filter(pk__in=ids).only("pk", "portal_id", "number")}
    out = {}
    for payment in payments:
        quote = quotes.get(payment.checkout.document_id or 0) if payment.checkout else None
        if quote is not None and quote.portal_id == payment.portal_id:
            url = reverse("quotes:detail", args=[quote.pk])
            out[payment.pk] = PaymentOrigin("Quote", quote.display_number, url)
    return out
