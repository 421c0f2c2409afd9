"""The hosted checkout: freeze an order, take the card through a PaymentIntent on the
portal's connected account, complete exactly once.

Built once for payment links; quotes and invoices will call the same services with
their own source. The server computes every amount (commerce/pricing.py) and charges
exactly the frozen order's total; the browser only chooses quantities within the
seller's limits.

One PaymentIntent per checkout: its idempotency keys are derived from the checkout's
public id and the version of the frozen order, and the checkout row is locked while
the intent is created or changed, so a double-click, a reload or a second tab reuse the
same intent instead of making another.

Completion (`checkout_complete`) is idempotent and runs from whichever comes first: the
buyer's return to the page (the intent is re-fetched) or the payment_intent.succeeded
webhook.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from commerce import money, pricing
from commerce.customers import services as contact_services
from commerce.customers.models import ADDRESS_PARTS, Contact
from commerce.notifications import notify_portal, send_templated_email
from commerce.portals.models import Portal
from subscriptions.services import NewItem, subscription_create_paid_first_period

from . import stripe_api
from .links import (
    MINIMUM_CHARGE,
    RESERVATION_MINUTES,
    Unavailable,
    line_to_pricing,
    link_unavailable_reason,
)
from .models import Checkout, Payment, PaymentLink, StripeAccount
from .status import AccountStatus

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
    """The cache key of the checkout page of an unlimited link that takes payments right
    now (active, not expired, portal Ready to transact), else None.

    The hot path of the public page: one plain SQL query, because building the
    equivalent ORM query costs more than running it. The key changes whenever the link
    (its `updated_at`) or the portal's branding changes.
    """
    link_table = PaymentLink._meta.db_table
    portal_table = Portal._meta.db_table
    account_table = StripeAccount._meta.db_table
    # Only table names from the models are formatted in; every value is a parameter.
    sql = (
        f"SELECT l.id, l.updated_at, p.name, p.accent_colour, p.checkout_text,"  # noqa: S608
        f" p.support_email, p.logo_content_type, p.logo_updated_at"
        f" FROM {link_table} l JOIN {portal_table} p ON p.id = l.portal_id"
        f" WHERE l.slug = %s AND l.active = %s AND l.single_use = %s"
        f" AND l.max_payments IS NULL AND (l.expires_at IS NULL OR l.expires_at > %s)"
        f" AND EXISTS (SELECT 1 FROM {account_table} a WHERE a.portal_id = l.portal_id"
        f" AND a.disconnected_at IS NULL AND a.status = %s)"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [slug, True, False, now, AccountStatus.READY.value])
        row = cursor.fetchone()
    if row is None:
        return None
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
    lines = [line_to_pricing(line, quantities.get(line.pk)) for line in link.lines.all()]
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
    if order["total"] > money.MAX_AMOUNT_CENTS:
        raise CheckoutError("This order is too large to pay by card. Lower the quantities.")
    if link.payment_limit is not None:
        _release_stale_reservations(link)
    checkout = _reserve(
        link=link, session_key=session_key, buyer=buyer, order=order, account_id=account_id
    )
    return _ensure_intent(checkout_id=checkout.pk, order=order)


def _reserve(
    *, link: PaymentLink, session_key: str, buyer: Buyer, order: dict, account_id: str
) -> Checkout:
    now = timezone.now()
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
            intent = stripe_api.payment_intent_create(
                account=checkout.stripe_account_id,
                amount=order["total"],
                currency=order["currency"],
                customer=customer,
                description=(link.name if link else "Payment")[:300],
                metadata={
                    "checkout": str(checkout.public_id),
                    "portal": str(portal.public_id),
                    "payment_link": str(link.pk) if link else "",
                },
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
    stale = list(
        Checkout.objects.filter(
            payment_link=link, status=Checkout.Status.OPEN, reserved_until__lte=timezone.now()
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
            status=Checkout.Status.EXPIRED, reserved_until=None, updated_at=timezone.now()
        )


# --- Return, completion and failure -------------------------------------------------------


def fetch_intent(checkout: Checkout) -> dict:
    if not checkout.payment_intent_id:
        raise IntentMismatch(f"checkout {checkout.pk} has no PaymentIntent")
    return stripe_api.payment_intent_retrieve(
        account=checkout.stripe_account_id,
        payment_intent_id=checkout.payment_intent_id,
        expand_charge=True,
    )


def checkout_sync(*, checkout: Checkout) -> Checkout:
    """The buyer came back from paying: re-fetch the intent (never trust the URL) and
    complete, or record Stripe's failure message. Returns the checkout as it now is."""
    if checkout.status == Checkout.Status.SUCCEEDED or not checkout.payment_intent_id:
        return checkout
    intent = fetch_intent(checkout)
    if intent["status"] in ("succeeded", "processing"):
        return checkout_complete(checkout_id=checkout.pk, payment_intent=intent)
    if intent.get("last_payment_error"):
        return checkout_record_failure(checkout_id=checkout.pk, payment_intent=intent)
    return checkout


def _check_intent(checkout: Checkout, intent: dict) -> None:
    problems = []
    if intent.get("id") != checkout.payment_intent_id:
        problems.append("id")
    if intent.get("amount") != checkout.amount or intent.get("amount") != checkout.order.get(
        "total"
    ):
        problems.append("amount")
    if (intent.get("currency") or "").lower() != checkout.currency:
        problems.append("currency")
    if (intent.get("metadata") or {}).get("checkout") != str(checkout.public_id):
        problems.append("metadata")
    if problems:
        raise IntentMismatch(
            f"PaymentIntent {intent.get('id')} does not match checkout {checkout.public_id}: "
            + ", ".join(problems)
        )


def checkout_complete(*, checkout_id: int, payment_intent: dict) -> Checkout:
    """Records a paid checkout once: the Payment, the Contact (created or updated, with
    its Stripe customer), one Subscription per recurring (frequency, term) group
    starting today, the link's use; e-mails the receipt and the portal after commit.

    `payment_intent` is the intent as just fetched from Stripe (latest_charge expanded).
    Locks the checkout row; a second call (return page and webhook racing) finds it
    succeeded and returns. An intent that does not match the frozen order raises
    IntentMismatch and records nothing.
    """
    with transaction.atomic():
        checkout = (
            Checkout.objects.select_for_update(of=("self",))
            .select_related("portal", "payment_link")
            .get(pk=checkout_id)
        )
        if checkout.status == Checkout.Status.SUCCEEDED:
            return checkout
        _check_intent(checkout, payment_intent)
        status = payment_intent.get("status")
        if status == "processing":
            checkout.status = Checkout.Status.PROCESSING
            checkout.save(update_fields=["status", "updated_at"])
            return checkout
        if status != "succeeded":
            return checkout
        now = timezone.now()
        portal = checkout.portal
        contact = _contact_upsert(checkout)
        payment = _payment_record(checkout, payment_intent, contact, now)
        _subscriptions_create(checkout, contact, payment_intent)
        checkout.status = Checkout.Status.SUCCEEDED
        checkout.contact = contact
        checkout.completed_at = now
        checkout.reserved_until = None
        checkout.failure_code = checkout.failure_message = ""
        checkout.save()
        _send_receipts(portal, checkout, payment)
    log.info("checkout %s paid: %s", checkout.public_id, checkout.payment_intent_id)
    return checkout


def checkout_record_failure(*, checkout_id: int, payment_intent: dict) -> Checkout:
    """Keeps Stripe's message of a failed attempt for the buyer's page; nothing is paid.
    The checkout stays open: the buyer may try another card on the same intent."""
    error = payment_intent.get("last_payment_error") or {}
    with transaction.atomic():
        checkout = Checkout.objects.select_for_update().get(pk=checkout_id)
        if (
            checkout.status != Checkout.Status.OPEN
            or checkout.payment_intent_id != payment_intent.get("id")
        ):
            return checkout
        checkout.failure_code = (error.get("decline_code") or error.get("code") or "")[:100]
        checkout.failure_message = (error.get("message") or "The payment did not go through.")[:500]
        checkout.save(update_fields=["failure_code", "failure_message", "updated_at"])
    return checkout


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = name.strip().partition(" ")
    return first[:100], last.strip()[:100]


def _contact_fields(checkout: Checkout) -> dict[str, str]:
    first, last = _split_name(checkout.name)
    fields = {"first_name": first, "last_name": last}
    if checkout.phone:
        fields["phone"] = checkout.phone
    for kind, address in (
        ("billing", checkout.billing_address),
        ("shipping", checkout.shipping_address),
    ):
        if address:
            for part in ADDRESS_PARTS:
                fields[f"{kind}_{part}"] = str(address.get(part) or "")
    return fields


def _contact_upsert(checkout: Checkout) -> Contact:
    portal = checkout.portal
    fields = _contact_fields(checkout)
    contact = Contact.objects.filter(portal=portal, email__iexact=checkout.email).first()
    if contact is None:
        try:
            contact = contact_services.contact_create(portal=portal, email=checkout.email, **fields)
        except ValidationError:
            # Another checkout of the same buyer created it a moment ago.
            contact = Contact.objects.get(portal=portal, email__iexact=checkout.email)
    else:
        contact = contact_services.contact_update(
            contact=contact, email=contact.email, **{k: v for k, v in fields.items() if v}
        )
    if not contact.stripe_customer_id and checkout.stripe_customer_id:
        Contact.objects.filter(pk=contact.pk, stripe_customer_id="").update(
            stripe_customer_id=checkout.stripe_customer_id
        )
        contact.stripe_customer_id = checkout.stripe_customer_id
    return contact


def _payment_record(checkout: Checkout, intent: dict, contact: Contact, now) -> Payment:
    charge = intent.get("latest_charge")
    charge = charge if isinstance(charge, dict) else {}
    card = (charge.get("payment_method_details") or {}).get("card") or {}
    balance_transaction = charge.get("balance_transaction")
    if isinstance(balance_transaction, dict):
        balance_transaction = balance_transaction.get("id")
    link = checkout.payment_link
    try:
        with transaction.atomic():
            return Payment.objects.create(
                portal_id=checkout.portal_id,
                contact=contact,
                source=Payment.Source.PAYMENT_LINK
                if checkout.source == "payment_link"
                else checkout.source,
                checkout=checkout,
                status=Payment.Status.SUCCEEDED,
                amount=intent.get("amount_received") or intent["amount"],
                currency=intent["currency"],
                application_fee_amount=intent.get("application_fee_amount") or 0,
                card_brand=(card.get("brand") or "")[:20],
                card_last4=(card.get("last4") or "")[:4],
                stripe_account_id=checkout.stripe_account_id,
                payment_intent_id=intent["id"],
                charge_id=charge.get("id")
                or (
                    intent.get("latest_charge")
                    if isinstance(intent.get("latest_charge"), str)
                    else ""
                )
                or "",
                balance_transaction_id=balance_transaction or "",
                description=(link.name if link else "")[:300],
                paid_at=now,
            )
    except IntegrityError:
        # Recorded already (e.g. by the payments tool's charge webhook): keep that row.
        payment = Payment.objects.get(payment_intent_id=intent["id"])
        if payment.checkout_id is None:
            payment.checkout = checkout
            payment.contact = payment.contact or contact
            payment.save(update_fields=["checkout", "contact", "updated_at"])
        return payment


def _subscriptions_create(checkout: Checkout, contact: Contact, intent: dict) -> None:
    order = checkout.order
    if not order.get("schedules"):
        return
    portal = checkout.portal
    try:
        today = timezone.localdate(timezone=ZoneInfo(portal.time_zone))
    except (ValueError, KeyError):
        today = timezone.localdate()
    payment_method = intent.get("payment_method")
    if isinstance(payment_method, dict):
        payment_method = payment_method.get("id")
    lines = order["lines"]
    for schedule in order["schedules"]:
        items = [
            NewItem(
                name=lines[i]["name"],
                sku=lines[i].get("sku", ""),
                quantity=lines[i]["quantity"],
                unit_amount=lines[i]["unit_amount"],
                discount_percent=Decimal(lines[i]["discount_percent"])
                if lines[i].get("discount_percent") is not None
                else None,
                discount_amount=lines[i].get("discount_amount"),
                tax_rate=Decimal(lines[i].get("tax_rate") or "0"),
                amount=lines[i]["total"],
            )
            for i in schedule["line_indexes"]
        ]
        subscription_create_paid_first_period(
            portal=portal,
            contact=contact,
            billing_frequency=schedule["billing_frequency"],
            term_periods=schedule["term_periods"],
            start_date=today,
            amount=schedule["amount"],
            currency=checkout.currency,
            items=items,
            stripe_account_id=checkout.stripe_account_id,
            stripe_customer_id=checkout.stripe_customer_id,
            payment_method_id=payment_method or "",
            source_checkout_id=checkout.pk,
        )


def receipt_path(checkout: Checkout) -> str:
    return reverse("public:receipt", args=[checkout.public_id])


def _send_receipts(portal: Portal, checkout: Checkout, payment: Payment) -> None:
    context = {
        "portal": portal,
        "checkout": checkout,
        "order": checkout.order,
        "payment": payment,
        "site_url": settings.SITE_URL,
        "receipt_url": settings.SITE_URL + receipt_path(checkout),
        "link": checkout.payment_link,
    }
    send_templated_email(
        to=[checkout.email],
        template="checkout_receipt",
        context=context,
        reply_to=portal.support_email or None,
    )
    notify_portal(portal=portal, template="checkout_paid", context=context)
