"""Finishing a checkout: the buyer's return, completion exactly once, failures, and
what completion records (payment, contact, receipts; the rest through the hooks the
apps registered in payables.py: subscriptions, the quote or invoice paid)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from commerce import pricing
from commerce.clock import hub_now
from commerce.customers import services as contact_services
from commerce.customers.models import ADDRESS_PARTS, Contact
from commerce.events.services import event_record, event_record_several
from commerce.notifications import notify_portal, send_templated_email
from commerce.portals.models import Portal
from payments import stripe as stripe_api
from payments.checkout.payables import COMPLETION_HOOKS, payable_for
from payments.checkout.start import IntentMismatch
from payments.events import (
    checkout_snapshot,
    failed_payment_snapshot,
    link_prefetch_lines,
    payment_source,
)
from payments.models import Checkout, Payment

log = logging.getLogger(__name__)

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
    its Stripe customer); then, in this transaction, the registered completion hooks
    (subscriptions: one Subscription per recurring (frequency, term) group starting
    today) and the `on_paid` hook of the checkout's payable (the link's use, the quote or
    invoice paid); records `payment.succeeded` (for a payment it created) and
    `checkout.completed` with one INSERT; e-mails the receipt and the portal after commit.

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
        now = hub_now()
        portal = checkout.portal
        contact = _contact_upsert(checkout)
        payment, created = _payment_record(checkout, payment_intent, contact, now)
        for hook in COMPLETION_HOOKS:
            hook(checkout=checkout, contact=contact, payment_intent=payment_intent)
        payable_for(checkout.source).on_paid(checkout=checkout, payment=payment)
        checkout.status = Checkout.Status.SUCCEEDED
        checkout.contact = contact
        checkout.completed_at = now
        checkout.reserved_until = None
        checkout.failure_code = checkout.failure_message = ""
        checkout.save()
        paid = [{"type": "payment.succeeded", "obj": payment}] if created else []
        completed = checkout_snapshot(checkout, payment=payment)
        event_record_several(
            portal=checkout.portal_id,
            events=[*paid, {"type": "checkout.completed", "obj": checkout, "data": completed}],
        )
        _send_receipts(portal, checkout, payment)
    log.info("checkout %s paid: %s", checkout.public_id, checkout.payment_intent_id)
    return checkout


def checkout_record_failure(*, checkout_id: int, payment_intent: dict) -> Checkout:
    """Keeps what the buyer's page says of a failed attempt (the buyer's sentence for
    Stripe's code, never Stripe's message; the code stays in `failure_code`); nothing is paid.
    The checkout stays open: the buyer may try another card on the same intent.

    Records `payment.failed` once per failed attempt (its charge, or its payment method
    when no charge was made), however often the return page and the webhook bring it."""
    error = payment_intent.get("last_payment_error") or {}
    with transaction.atomic():
        checkout = Checkout.objects.select_for_update().get(pk=checkout_id)
        if (
            checkout.status != Checkout.Status.OPEN
            or checkout.payment_intent_id != payment_intent.get("id")
        ):
            return checkout
        attempt = _failed_attempt(payment_intent)
        if attempt and attempt == checkout.failure_attempt:
            return checkout  # this attempt's failure is recorded already
        checkout.failure_code = (error.get("decline_code") or error.get("code") or "")[:100]
        checkout.failure_message = stripe_api.buyer_message_for(error)[:500]
        checkout.failure_attempt = attempt
        checkout.save(
            update_fields=["failure_code", "failure_message", "failure_attempt", "updated_at"]
        )
        event_record(
            portal=checkout.portal_id,
            type="payment.failed",
            object_type="payment",
            object_id=payment_intent["id"],
            data=failed_payment_snapshot(
                payment_intent=payment_intent,
                amount=checkout.amount,
                currency=checkout.currency,
                source=payment_source(checkout),
                contact_id=checkout.contact_id,
                checkout_id=checkout.pk,
                failure_code=checkout.failure_code,
                failure_message=checkout.failure_message,
                at=checkout.updated_at,
            ),
        )
    return checkout


def _failed_attempt(payment_intent: dict) -> str:
    """What names one failed attempt: its charge (a decline), else the payment method
    that failed authentication; empty when Stripe says neither."""
    error = payment_intent.get("last_payment_error") or {}
    charge = error.get("charge")
    if isinstance(charge, dict):
        charge = charge.get("id")
    method = error.get("payment_method")
    if isinstance(method, dict):
        method = method.get("id")
    return str(charge or method or "")[:255]


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


def _payment_record(
    checkout: Checkout, intent: dict, contact: Contact, now
) -> tuple[Payment, bool]:
    """The checkout's Payment, and whether this call created it."""
    charge = intent.get("latest_charge")
    charge = charge if isinstance(charge, dict) else {}
    card = (charge.get("payment_method_details") or {}).get("card") or {}
    balance_transaction = charge.get("balance_transaction")
    if isinstance(balance_transaction, dict):
        balance_transaction = balance_transaction.get("id")
    link = checkout.payment_link
    try:
        with transaction.atomic():
            created = Payment.objects.create(
                portal_id=checkout.portal_id,
                contact=contact,
                source=payment_source(checkout),
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
                description=(link.name if link else checkout.description)[:300],
                paid_at=now,
            )
        return created, True
    except IntegrityError:
        # Recorded already (e.g. by the payments tool's charge webhook): keep that row.
        payment = Payment.objects.get(payment_intent_id=intent["id"])
        if payment.checkout_id is None:
            payment.checkout = checkout
            payment.contact = payment.contact or contact
            payment.save(update_fields=["checkout", "contact", "updated_at"])
        return payment, False


def link_checkout_paid(*, checkout: Checkout, payment: Payment) -> None:
    """A payment link's `on_paid`: its use is the paid checkout itself (counted by
    links.services.link_unavailable_reason), so there is nothing more to write. A
    limited link whose last use this is records `payment_link.deactivated` (status
    used_up): one COUNT for limited links only, then the lines and the event."""
    link = checkout.payment_link
    limit = link.payment_limit if link is not None else None
    if link is None or limit is None:
        return
    # This checkout is not marked succeeded yet: it is the one more use.
    uses = (
        Checkout.objects.filter(payment_link=link, status=Checkout.Status.SUCCEEDED)
        .exclude(pk=checkout.pk)
        .count()
        + 1
    )
    if uses != limit or not link.active:
        return  # not its last use, or deactivated by hand already (that was its event)
    link.uses = uses  # type: ignore[attr-defined]
    event_record(
        portal=link.portal_id, type="payment_link.deactivated", obj=link_prefetch_lines(link)
    )


def receipt_path(checkout: Checkout) -> str:
    return reverse("public:receipt", args=[checkout.public_id])


def _send_receipts(portal: Portal, checkout: Checkout, payment: Payment) -> None:
    context = {
        "portal": portal,
        "checkout": checkout,
        "order": pricing.order_summary(checkout.order, paid=True),
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
