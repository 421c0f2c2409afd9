"""Starting a checkout: the buyer-facing selectors, freezing the order, reserving a
limited link and creating the one PaymentIntent of a checkout (see the package docstring)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from commerce import money, pricing
from commerce.clock import hub_now
from commerce.customers import services as contact_services
from commerce.customers.models import Contact
from commerce.db import fetch_one
from commerce.portals.models import Portal
from payments import stripe as stripe_api
from payments.connect.status import AccountStatus
from payments.links.services import (
    MINIMUM_CHARGE,
    RESERVATION_MINUTES,
    Unavailable,
    link_unavailable_reason,
)
from payments.models import Checkout, PaymentLink, StripeAccount

log = logging.getLogger(__name__)

LIVE_STATUSES = (Checkout.Status.OPEN, Checkout.Status.PROCESSING)

UNAVAILABLE_MESSAGES = {
    Unavailable.INACTIVE: "This payment link is no longer active.",
    Unavailable.EXPIRED: "This payment link has expired.",
    Unavailable.USED: "This link has already been used.",
    Unavailable.IN_USE: "This link has already been used.",
}


class CheckoutError(Exception):
    """The checkout cannot go on; `user_message` is written for the buyer."""

    def __init__(self, user_message: str, *, code: str = "invalid") -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.code = code


class LinkUnavailable(CheckoutError):
    def __init__(self, reason: str) -> None:
        super().__init__(UNAVAILABLE_MESSAGES[reason], code=reason)
        self.reason = reason


class NotAcceptingPayments(CheckoutError):
    def __init__(self) -> None:
        super().__init__("This business is not accepting payments right now.", code="not_ready")


class IntentMismatch(Exception):
    """A PaymentIntent that does not match the checkout's frozen order: never paid."""


@dataclass(frozen=True)
class Buyer:
    email: str
    name: str
    phone: str = ""
    billing_address: dict[str, str] | None = None
    shipping_address: dict[str, str] | None = None


# --- Selectors -------------------------------------------------------------------------


def public_link(slug: str) -> PaymentLink | None:
    """The link behind a public URL with its portal (logo bytes left out) and whether
    the portal can take payments (`portal_ready`): one query. Its lines are fetched when
    needed (prefetch_related_objects: one more query)."""
    ready = StripeAccount.objects.filter(
        portal=OuterRef("portal"), disconnected_at__isnull=True, status=AccountStatus.READY
    )
    try:
        return (
            PaymentLink.objects.select_related("portal")
            .defer("portal__logo")
            .annotate(portal_ready=Exists(ready))
            .get(slug=slug)
        )
    except PaymentLink.DoesNotExist:
        return None


def payable_link_page_key(slug: str) -> str | None:
    """The cache key of the checkout page a new buyer of `slug` sees, when the link takes
    payments right now (active, not expired, portal Ready to transact and, for a limited
    link, a use left that no other buyer holds), else None: the full path then shows why.

    The hot path of the public page: one plain SQL query, because building the
    equivalent ORM query costs more than running it. The key changes whenever the link
    (its `updated_at`) or the portal's branding changes.
    """
    row = fetch_one(*payable_link_query(slug))
    return None if row is None else payable_link_page_key_of(row)


def payable_link_query(slug: str) -> tuple[str, list[Any]]:
    """payable_link_page_key's SQL and parameters: one row (the link's id first, then
    what its key is made of) when the link takes payments now. The page of a buyer with
    a session reads it with their checkout in the same query (checkout/selectors.py)."""
    link_table = PaymentLink._meta.db_table
    portal_table = Portal._meta.db_table
    account_table = StripeAccount._meta.db_table
    checkout_table = Checkout._meta.db_table
    # Only table names from the models are formatted in; every value is a parameter. The
    # use count is link_unavailable_reason's: paid checkouts and live reservations.
    sql = (
        f"SELECT l.id, l.updated_at, p.name, p.accent_colour, p.checkout_text,"  # noqa: S608
        f" p.support_email, p.logo_content_type, p.logo_updated_at"
        f" FROM {link_table} l JOIN {portal_table} p ON p.id = l.portal_id"
        f" WHERE l.slug = %s AND l.active = %s AND (l.expires_at IS NULL OR l.expires_at > %s)"
        f" AND EXISTS (SELECT 1 FROM {account_table} a WHERE a.portal_id = l.portal_id"
        f" AND a.disconnected_at IS NULL AND a.status = %s)"
        f" AND ((l.single_use = %s AND l.max_payments IS NULL)"
        f" OR (SELECT count(*) FROM {checkout_table} c WHERE c.payment_link_id = l.id"
        f" AND (c.status = %s OR (c.status IN (%s, %s) AND c.reserved_until > %s)))"
        f" < CASE WHEN l.single_use THEN 1 ELSE l.max_payments END)"
    )
    now = connection.ops.adapt_datetimefield_value(hub_now())
    params = [
        slug,
        True,
        now,
        AccountStatus.READY.value,
        False,
        Checkout.Status.SUCCEEDED.value,
        *(status.value for status in LIVE_STATUSES),
        now,
    ]
    return sql, params


def payable_link_page_key_of(row: Sequence[Any]) -> str:
    """The page key of a row of payable_link_query."""
    digest = hashlib.sha256("|".join(str(v) for v in row[1:]).encode()).hexdigest()[:24]
    return f"checkout-page:v1:{row[0]}:{digest}"


def ready_account_id(portal: Portal) -> str | None:
    """The connected account buyers pay, when it is Ready to transact."""
    return (
        StripeAccount.objects.filter(
            portal=portal, disconnected_at__isnull=True, status=AccountStatus.READY
        )
        .values_list("stripe_id", flat=True)
        .first()
    )


def open_checkout_for_session(*, link: PaymentLink, session_key: str | None) -> Checkout | None:
    """The buyer's checkout of `link` still in progress in this browser session."""
    if not session_key:
        return None
    return (
        Checkout.objects.filter(
            portal_id=link.portal_id,
            payment_link=link,
            session_key=session_key,
            status__in=LIVE_STATUSES,
        )
        .order_by("-created_at")
        .first()
    )


def order_for_link(link: PaymentLink, quantities: dict[int, int] | None = None) -> dict[str, Any]:
    """The frozen order of `link` at the buyer's quantities (the seller's by default)."""
    quantities = quantities or {}
    lines = [
        pricing.Line.from_snapshot(line, quantity=quantities.get(line.pk), ref=str(line.pk))
        for line in link.lines.all()
    ]
    return pricing.freeze(pricing.compute(lines, link.currency))


def application_fee(portal: Portal, amount: int) -> int:
    """The platform's fee on a payment of `amount`: portal setting, none by default."""
    fee = money.percent_of(amount, portal.application_fee_percent) + int(
        portal.application_fee_fixed
    )
    return max(0, min(fee, amount))


# --- Start: freeze the order, reserve, create the PaymentIntent -------------------------


def checkout_start(
    *,
    link: PaymentLink,
    session_key: str,
    buyer: Buyer,
    quantities: dict[int, int] | None = None,
) -> Checkout:
    """Freezes the buyer's order and makes sure it has one PaymentIntent for its total.

    Locks the link row while it decides whether the buyer may pay (a limited link's
    last use is reserved for RESERVATION_MINUTES before any intent exists, so a second
    buyer is refused before being charged), then the checkout row while the Stripe
    customer and intent are created or changed. Reuses the session's open checkout.
    Raises CheckoutError (LinkUnavailable, NotAcceptingPayments) or
    stripe_api.StripeServiceError.
    """
    account_id = ready_account_id(link.portal)
    if account_id is None:
        raise NotAcceptingPayments()
    order = order_for_link(link, quantities)
    if order["total"] < MINIMUM_CHARGE:
        raise CheckoutError(
            f"The total must be at least {money.format_cents(MINIMUM_CHARGE, link.currency)}."
        )
    if money.over_card_limit(order["total"]):
        raise CheckoutError(
            f"A card can pay at most {money.format_cents(money.CARD_LIMIT_CENTS, link.currency)} "
            "at once. Lower the quantities."
        )
    if link.payment_limit is not None:
        _release_stale_reservations(link)
    checkout = _reserve(
        link=link, session_key=session_key, buyer=buyer, order=order, account_id=account_id
    )
    return _ensure_intent(checkout_id=checkout.pk, order=order)


def _reserve(
    *, link: PaymentLink, session_key: str, buyer: Buyer, order: dict, account_id: str
) -> Checkout:
    now = hub_now()
    with transaction.atomic():
        locked = PaymentLink.objects.select_for_update().get(pk=link.pk)
        checkout = (
            Checkout.objects.select_for_update()
            .filter(payment_link=locked, session_key=session_key, status__in=LIVE_STATUSES)
            .order_by("-created_at")
            .first()
        )
        reason = link_unavailable_reason(
            locked, now=now, exclude_checkout_id=checkout.pk if checkout else None
        )
        if reason is not None:
            raise LinkUnavailable(reason)
        if checkout is None:
            # The order and amount are set with the PaymentIntent (_ensure_intent).
            checkout = Checkout(
                portal_id=locked.portal_id,
                source="payment_link",
                payment_link=locked,
                session_key=session_key,
                currency=order["currency"],
                stripe_account_id=account_id,
            )
        elif checkout.status == Checkout.Status.PROCESSING:
            raise CheckoutError(
                "Your payment is being processed. This page will update shortly.", code="processing"
            )
        checkout.email = contact_services.normalize_email(buyer.email)
        checkout.name = buyer.name.strip()
        checkout.phone = buyer.phone.strip()
        checkout.billing_address = buyer.billing_address
        checkout.shipping_address = buyer.shipping_address
        checkout.failure_code = checkout.failure_message = ""
        if locked.payment_limit is not None:
            checkout.reserved_until = now + timedelta(minutes=RESERVATION_MINUTES)
        checkout.save()
    return checkout


def _idempotency_prefix(checkout: Checkout) -> str:
    return f"checkout-{checkout.public_id}"


def _ensure_customer(checkout: Checkout) -> str:
    """The buyer's Customer on the connected account: the contact's, or a new one per
    checkout and e-mail (idempotent)."""
    known = (
        Contact.objects.filter(portal_id=checkout.portal_id, email__iexact=checkout.email)
        .exclude(stripe_customer_id="")
        .values_list("stripe_customer_id", flat=True)
        .first()
    )
    if (
        known
        and Checkout.objects.filter(
            stripe_customer_id=known, stripe_account_id=checkout.stripe_account_id
        ).exists()
    ):
        # Only a customer of this very account: a reconnected portal has a new one.
        return known
    if checkout.stripe_customer_id and checkout.order.get("customer_email") == checkout.email:
        return checkout.stripe_customer_id
    email_key = hashlib.sha256(checkout.email.encode()).hexdigest()[:16]
    customer = stripe_api.customer_create(
        account=checkout.stripe_account_id,
        email=checkout.email,
        name=checkout.name,
        phone=checkout.phone,
        address=checkout.billing_address,
        metadata={"checkout": str(checkout.public_id)},
        idempotency_key=f"{_idempotency_prefix(checkout)}-customer-{email_key}",
    )
    return customer["id"]


def _ensure_intent(*, checkout_id: int, order: dict) -> Checkout:
    """Creates the checkout's PaymentIntent, or updates its amount when the buyer changed
    the order. Holds the checkout row lock across these Stripe calls (one buyer's row,
    nobody else waits) so concurrent tabs never create two intents."""
    with transaction.atomic():
        checkout = (
            Checkout.objects.select_for_update(of=("self",))
            .select_related("portal", "payment_link")
            .get(pk=checkout_id)
        )
        portal = checkout.portal
        customer = _ensure_customer(checkout)
        order = {**order, "customer_email": checkout.email}
        unchanged = (
            checkout.payment_intent_id
            and checkout.order == order
            and checkout.stripe_customer_id == customer
        )
        if unchanged:
            return checkout
        fee = application_fee(portal, order["total"])
        prefix = _idempotency_prefix(checkout)
        if checkout.payment_intent_id:
            version = checkout.order_version + 1
            try:
                stripe_api.payment_intent_update(
                    account=checkout.stripe_account_id,
                    payment_intent_id=checkout.payment_intent_id,
                    amount=order["total"],
                    customer=customer,
                    application_fee_amount=fee,
                    idempotency_key=f"{prefix}-pi-v{version}",
                )
            except stripe_api.InvalidRequest as exc:
                if exc.code == "payment_intent_unexpected_state":
                    # Paid (or paying) in another tab: keep the order its intent carries.
                    raise CheckoutError(
                        "This payment is already being processed.", code="processing"
                    ) from None
                raise
            checkout.order_version = version
        else:
            if checkout.order and checkout.order != order:
                checkout.order_version += 1
            link = checkout.payment_link
            metadata = {"checkout": str(checkout.public_id), "portal": str(portal.public_id)}
            if link:
                metadata["payment_link"] = str(link.pk)
            if checkout.document_id:
                metadata[checkout.source] = str(checkout.document_id)
            intent = stripe_api.payment_intent_create(
                account=checkout.stripe_account_id,
                amount=order["total"],
                currency=order["currency"],
                customer=customer,
                description=(link.name if link else checkout.description or "Payment")[:300],
                metadata=metadata,
                setup_future_usage=bool(order["schedules"]),
                application_fee_amount=fee,
                idempotency_key=f"{prefix}-pi-v{checkout.order_version}",
            )
            checkout.payment_intent_id = intent["id"]
            checkout.client_secret = intent["client_secret"]
        checkout.order = order
        checkout.amount = order["total"]
        checkout.currency = order["currency"]
        checkout.application_fee_amount = fee
        checkout.stripe_customer_id = customer
        checkout.save()
    return checkout


def _release_stale_reservations(link: PaymentLink) -> None:
    """Frees the expired holds on a limited link: cancels their intents first (no lock
    held during the Stripe calls), so a buyer who lingered can no longer pay; an intent
    that succeeded meanwhile is completed instead."""
    # Completion lives in completion.py, which imports this module.
    from payments.checkout.completion import checkout_complete, fetch_intent

    stale = list(
        Checkout.objects.filter(
            payment_link=link, status=Checkout.Status.OPEN, reserved_until__lte=hub_now()
        )
    )
    for checkout in stale:
        if checkout.payment_intent_id:
            try:
                stripe_api.payment_intent_cancel(
                    account=checkout.stripe_account_id,
                    payment_intent_id=checkout.payment_intent_id,
                    idempotency_key=f"{_idempotency_prefix(checkout)}-cancel",
                )
            except stripe_api.InvalidRequest:
                intent = fetch_intent(checkout)
                if intent["status"] in ("succeeded", "processing"):
                    checkout_complete(checkout_id=checkout.pk, payment_intent=intent)
                    continue
                if intent["status"] != "canceled":
                    raise
        Checkout.objects.filter(pk=checkout.pk, status=Checkout.Status.OPEN).update(
            status=Checkout.Status.EXPIRED, reserved_until=None, updated_at=hub_now()
        )
