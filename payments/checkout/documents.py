"""Paying a document (a quote or an invoice) through the same hosted checkout as a
payment link.

The document's app registers its payable (payables.py) with a `describe` hook that
checks the document can be paid and prices it, says who pays and where to go back
(`Document`); `payable_checkout_start` calls it, then keeps one checkout in progress per
document, whichever browser or tab opens it (a unique constraint on the live checkouts
of a document), and gives it its one PaymentIntent through the same `_ensure_intent` as
links: the same idempotency keys, the same frozen order check at completion. Completion
calls the payable's `on_paid` (`completion.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from commerce import money
from commerce.customers import services as contact_services
from commerce.portals.models import Portal
from payments.checkout.payables import DOCUMENT_SOURCES, payable_for
from payments.checkout.start import (
    LIVE_STATUSES,
    Buyer,
    CheckoutError,
    NotAcceptingPayments,
    _ensure_intent,
    ready_account_id,
)
from payments.links.services import MINIMUM_CHARGE
from payments.models import Checkout


@dataclass(frozen=True)
class Document:
    """What the buyer pays: a frozen order (commerce.pricing.freeze) for `source` #`id`."""

    source: str
    id: int
    portal: Portal
    description: str  # "Quote Q-0012 · Growth plan", shown on the page and in Stripe
    order: dict[str, Any]
    buyer: Buyer
    return_path: str  # the document's public page


def live_document_checkout(*, source: str, document_id: int) -> Checkout | None:
    return (
        Checkout.objects.filter(source=source, document_id=document_id, status__in=LIVE_STATUSES)
        .select_related("portal")
        .first()
    )


def payable_checkout_start(*, source: str, document: Any, **options: Any) -> Checkout:
    """Starts paying `document` (as its app loaded it) through the payable registered for
    `source`: its `describe` hook checks the document can be paid now (raising its app's
    error, worded for the buyer) and describes it with `options` (an invoice's part
    amount); then `document_checkout_start`."""
    payable = payable_for(source)
    if payable.describe is None:
        raise ValueError(f"checkout source {source!r} is not paid as a document")
    described = payable.describe(document, **options)
    if described.source != source:
        raise ValueError(f"the {source} payable described a {described.source!r}")
    return document_checkout_start(document=described)


def document_checkout_start(*, document: Document) -> Checkout:
    """The document's checkout in progress, with a PaymentIntent for `document.order`.

    Reuses the live checkout of the document (the unique constraint settles two first
    requests racing); a changed order (an invoice's partial amount) updates the same
    intent. Raises CheckoutError (NotAcceptingPayments) or stripe_api.StripeServiceError.
    """
    if document.source not in DOCUMENT_SOURCES:
        raise ValueError(f"unknown document source {document.source!r}")
    account_id = ready_account_id(document.portal)
    if account_id is None:
        raise NotAcceptingPayments()
    total = document.order["total"]
    if total < MINIMUM_CHARGE:
        raise CheckoutError(
            f"The amount must be at least {money.format_cents(MINIMUM_CHARGE, document.order['currency'])}."
        )
    if money.over_card_limit(total):
        # The document's own page refuses first (its payable's `describe`); kept as the
        # last word before Stripe is asked for an intent it would refuse.
        raise CheckoutError(
            f"A card can pay at most {money.format_cents(money.CARD_LIMIT_CENTS, document.order['currency'])} "
            "at once. Contact the seller to pay another way."
        )
    checkout = _reserve_document(document, account_id)
    return _ensure_intent(checkout_id=checkout.pk, order=document.order)


def _reserve_document(document: Document, account_id: str) -> Checkout:
    for _ in range(2):
        try:
            with transaction.atomic():
                checkout = (
                    Checkout.objects.select_for_update()
                    .filter(
                        source=document.source,
                        document_id=document.id,
                        status__in=LIVE_STATUSES,
                    )
                    .first()
                )
                if checkout is None:
                    checkout = Checkout(
                        portal_id=document.portal.pk,
                        source=document.source,
                        document_id=document.id,
                        currency=document.order["currency"],
                        stripe_account_id=account_id,
                    )
                elif checkout.status == Checkout.Status.PROCESSING:
                    raise CheckoutError(
                        "Your payment is being processed. This page will update shortly.",
                        code="processing",
                    )
                elif checkout.stripe_account_id != account_id:
                    # The portal reconnected another Stripe account: the old intent is
                    # dead to us; start over on the new account.
                    Checkout.objects.filter(pk=checkout.pk).update(status=Checkout.Status.CANCELED)
                    continue
                checkout.email = contact_services.normalize_email(document.buyer.email)
                checkout.name = document.buyer.name.strip()[:200]
                checkout.phone = document.buyer.phone.strip()
                checkout.billing_address = document.buyer.billing_address
                checkout.description = document.description[:300]
                checkout.return_path = document.return_path[:500]
                checkout.failure_code = checkout.failure_message = ""
                checkout.save()
                return checkout
        except IntegrityError:
            # Another request created the document's checkout a moment ago: use it.
            continue
    checkout = live_document_checkout(source=document.source, document_id=document.id)
    if checkout is None:
        raise CheckoutError("We could not start the payment. Please try again.", code="retry")
    return checkout
