"""Writes of subscriptions: created by the checkout or by an admin, changed from the
subscriptions tool (items, dates, pause, cancel). The billing run (billing.py) bills
their next periods from `next_billing_date`."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from commerce import money
from commerce.catalog.models import (
    FREQUENCY_INTERVALS,
    BillingFrequency,
    Product,
    is_recurring,
    schedule_phrase,
)
from commerce.clock import format_day, hub_now, hub_today
from commerce.customers.models import Contact
from commerce.events.services import event_record, event_record_many
from commerce.notifications import send_templated_email
from commerce.portals.models import Portal
from commerce.pricing import Line, PricingError, price_line
from payments import stripe as stripe_api
from payments.checkout.start import ready_account_id
from payments.models import Checkout

from .dunning import card_update_url
from .models import Subscription, SubscriptionEvent, SubscriptionItem


def period_start(start: date, frequency: str, index: int) -> date:
    """First day of period `index` (0-based) of a schedule starting on `start`.

    Always counted from the start date, never from the previous period, so a
    subscription started on Jan 31 bills Feb 28 (29), Mar 31, Apr 30…: the month-end rule.
    """
    unit, count = FREQUENCY_INTERVALS[BillingFrequency(frequency)]
    if unit == "week":
        return start + timedelta(weeks=count * index)
    months = start.month - 1 + count * index
    year, month = start.year + months // 12, months % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class NewItem:
    name: str
    sku: str
    quantity: int
    unit_amount: int
    discount_percent: Decimal | None
    discount_amount: int | None
    tax_rate: Decimal
    amount: int
    product_id: int | None = None


@transaction.atomic
def subscription_create_paid_first_period(
    *,
    portal: Portal,
    contact: Contact,
    billing_frequency: str,
    term_periods: int | None,
    start_date: date,
    amount: int,
    currency: str,
    items: list[NewItem],
    stripe_account_id: str,
    stripe_customer_id: str,
    payment_method_id: str,
    source_checkout_id: int | None,
) -> tuple[Subscription, bool]:
    """A subscription whose first period the buyer has just paid (at checkout), and
    whether it is new (the caller records `subscription.created`).

    Starts today (`start_date`, in the portal's time zone) with one period billed; the
    next billing date is the start of period 2, or none when the term was one period.
    Idempotent per (checkout, frequency, term): a second call returns the first one.
    """
    if source_checkout_id is not None:
        existing = Subscription.objects.filter(
            portal=portal,
            source_checkout_id=source_checkout_id,
            billing_frequency=billing_frequency,
            term_periods=term_periods,
        ).first()
        if existing is not None:
            return existing, False
    done = term_periods is not None and term_periods <= 1
    subscription = Subscription.objects.create(
        portal=portal,
        contact=contact,
        status=Subscription.Status.COMPLETED if done else Subscription.Status.ACTIVE,
        billing_frequency=billing_frequency,
        term_periods=term_periods,
        currency=currency,
        amount=amount,
        start_date=start_date,
        next_billing_date=None if done else period_start(start_date, billing_frequency, 1),
        periods_billed=1,
        stripe_account_id=stripe_account_id,
        stripe_customer_id=stripe_customer_id,
        payment_method_id=payment_method_id,
        source_checkout_id=source_checkout_id,
    )
    SubscriptionItem.objects.bulk_create(
        SubscriptionItem(
            portal=portal,
            subscription=subscription,
            product_id=item.product_id,
            name=item.name,
            sku=item.sku,
            quantity=item.quantity,
            unit_amount=item.unit_amount,
            discount_percent=item.discount_percent,
            discount_amount=item.discount_amount,
            tax_rate=item.tax_rate,
            amount=item.amount,
            position=position,
        )
        for position, item in enumerate(items)
    )
    return subscription, True


def subscriptions_create_for_checkout(
    *, checkout: Checkout, contact: Contact, payment_intent: dict
) -> None:
    """The checkout's completion hook (registered in apps.py): one subscription per
    recurring (frequency, term) group of the paid order, its first period paid, starting
    today in the portal's time zone and billed next with the intent's card. Runs in the
    completion's transaction, which holds the checkout's row lock, and records
    `subscription.created` for the new ones (one INSERT)."""
    order = checkout.order
    if not order.get("schedules"):
        return
    portal = checkout.portal
    today = hub_today(portal.time_zone)
    payment_method = payment_intent.get("payment_method")
    if isinstance(payment_method, dict):
        payment_method = payment_method.get("id")
    lines = order["lines"]
    created = []
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
        subscription, new = subscription_create_paid_first_period(
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
        if new:
            created.append(subscription)
    if created:
        event_record_many(portal=portal, type="subscription.created", objs=created)


# --- Changes from the subscriptions tool ------------------------------------------------

# A change this close to a charge could race the billing run; the buyer was also told.
CHANGE_FREEZE_DAYS = 2


class ChangeRefused(Exception):
    """A change that is not allowed now; the message is shown to the admin, the `code`
    names the reason for programs (the API's error code)."""

    def __init__(self, message: str, code: str = "change_refused") -> None:
        super().__init__(message)
        self.code = code


def change_refusal(subscription: Subscription, *, today: date) -> str:
    """Why the subscription cannot be changed now, or "" when it can."""
    return _refusal(subscription, today=today)[0]


def _refusal(subscription: Subscription, *, today: date) -> tuple[str, str]:
    """(message, code) of why the subscription cannot be changed now; ("", "") if it can."""
    if subscription.status in (Subscription.Status.CANCELLED, Subscription.Status.COMPLETED):
        return (
            f"This subscription is {subscription.get_status_display().lower()}.",
            "subscription_ended",
        )
    due = subscription.next_billing_date
    if (
        subscription.status in (Subscription.Status.ACTIVE, Subscription.Status.SCHEDULED)
        and due is not None
        and (due - today).days <= CHANGE_FREEZE_DAYS
    ):
        return (
            f"The next charge is due on {format_day(due)}. Changes are closed "
            f"{CHANGE_FREEZE_DAYS} days before a charge; try again after it.",
            "charge_due_soon",
        )
    return "", ""


def _refuse_if_closed(subscription: Subscription, *, today: date) -> None:
    message, code = _refusal(subscription, today=today)
    if message:
        raise ChangeRefused(message, code)


def _locked(subscription_id: int, portal: Portal) -> Subscription:
    return (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("contact", "portal")
        .get(pk=subscription_id, portal=portal)
    )


def _record_change(
    subscription: Subscription, *, kind: str, message: str, actor, event: str | None
) -> None:
    """The change's timeline entry, its event (none when nothing changed), the e-mail."""
    SubscriptionEvent.objects.create(
        portal_id=subscription.portal_id,
        subscription=subscription,
        kind=kind,
        message=message[:500],
        actor=actor,
    )
    if event:
        event_record(portal=subscription.portal_id, type=event, obj=subscription)
    send_templated_email(
        to=[subscription.contact.email],
        template="subscription_changed",
        context={"portal": subscription.portal, "subscription": subscription, "change": message},
        reply_to=subscription.portal.support_email or None,
    )


def subscription_change(
    *, portal: Portal, subscription_id: int, action: str, actor, today: date, new_date=None
) -> Subscription:
    """One confirmed change from the tool: "pause", "resume" (with `new_date`),
    "cancel_now", "cancel_at_period_end" or "next_date" (with `new_date`).

    Locks the subscription row (the billing run's claim takes the same lock, so a change
    never interleaves with a charge); refuses within CHANGE_FREEZE_DAYS of a charge and
    while a billing attempt holds the subscription. Records the change in the timeline
    and its event (`subscription.paused`, `.resumed`, `.cancelled`, or `.updated` for a
    new date or a cancellation at period end), and e-mails the buyer after commit."""
    with transaction.atomic():
        subscription = _locked(subscription_id, portal)
        _refuse_if_closed(subscription, today=today)
        if (
            subscription.billing_lease_owner
            and subscription.billing_lease_until
            and (subscription.billing_lease_until > hub_now())
        ):
            raise ChangeRefused(
                "A charge is being made right now. Try again in a minute.", "billing_in_progress"
            )
        status = subscription.status
        event: str | None  # None when the change changes nothing
        if action == "pause":
            if status not in (Subscription.Status.ACTIVE, Subscription.Status.PAST_DUE):
                raise ChangeRefused(
                    "Only an active or past-due subscription can be paused.", "not_pausable"
                )
            subscription.status = Subscription.Status.PAUSED
            subscription.retry_at = None
            event = "subscription.paused"
            message = "Paused: no charges until it is resumed."
        elif action == "resume":
            if status != Subscription.Status.PAUSED:
                raise ChangeRefused("Only a paused subscription can be resumed.", "not_paused")
            if new_date is None or new_date <= today:
                raise ChangeRefused("Choose a next billing date after today.", "date_too_early")
            subscription.status = Subscription.Status.ACTIVE
            subscription.next_billing_date = new_date
            event = "subscription.resumed"
            message = f"Resumed; next charge on {format_day(new_date)}."
        elif action == "next_date":
            if new_date is None or new_date <= today + timedelta(days=CHANGE_FREEZE_DAYS):
                raise ChangeRefused(
                    f"Choose a date more than {CHANGE_FREEZE_DAYS} days from today.",
                    "date_too_early",
                )
            if status == Subscription.Status.PAUSED:
                raise ChangeRefused(
                    "Resume the subscription to set its next billing date.", "subscription_paused"
                )
            same = new_date == subscription.next_billing_date
            event = None if same else "subscription.updated"
            subscription.next_billing_date = new_date
            message = f"Next charge moved to {format_day(new_date)}."
        elif action == "cancel_now":
            subscription.status = Subscription.Status.CANCELLED
            subscription.cancelled_at = subscription.ended_at = hub_now()
            subscription.next_billing_date = None
            subscription.retry_at = None
            event = "subscription.cancelled"
            message = "Cancelled now: no further charges."
        elif action == "cancel_at_period_end":
            event = None if subscription.cancel_at_period_end else "subscription.updated"
            subscription.cancel_at_period_end = True
            subscription.cancelled_at = hub_now()
            end = subscription.next_billing_date
            message = "Cancels at the end of the current period" + (
                f" ({format_day(end)}); no further charges." if end else "."
            )
        else:
            raise ChangeRefused("Unknown change.")
        subscription.save()
        _record_change(subscription, kind=action, message=message, actor=actor, event=event)
    return subscription


@dataclass(frozen=True)
class ItemChange:
    item_id: int
    quantity: int  # 0 removes the item
    unit_amount: int


def _check_card_limit(amount: int, currency: str) -> None:
    """Every period is charged to the buyer's card: at most what a card pays at once."""
    refusal = money.card_limit_refusal(amount, currency, what="The amount per period")
    if refusal:
        raise ChangeRefused(f"{refusal} Lower the quantities or prices.", "amount_too_large")


def subscription_items_change(
    *, portal: Portal, subscription_id: int, changes: list[ItemChange], actor, today: date
) -> Subscription:
    """New quantities or prices of the subscription's items, effective from the next
    period: the per-period amount is re-priced by commerce.pricing; the cycle of a period
    already being billed keeps the amount it froze. At least one item must remain.

    Locks the subscription row; same refusals as `subscription_change`. Records the
    change in the timeline and e-mails the buyer after commit."""
    with transaction.atomic():
        subscription = _locked(subscription_id, portal)
        _refuse_if_closed(subscription, today=today)
        items = {i.pk: i for i in subscription.items.select_for_update()}
        by_id = {c.item_id: c for c in changes}
        if set(by_id) - set(items):
            raise ChangeRefused("An item does not belong to this subscription.", "item_missing")
        kept = [i for i in items.values() if by_id.get(i.pk, ItemChange(i.pk, 1, 0)).quantity > 0]
        if not kept:
            raise ChangeRefused(
                "Keep at least one item, or cancel the subscription instead.", "no_items_left"
            )
        notes = []
        for item in items.values():
            change = by_id.get(item.pk)
            if change is None or (
                change.quantity == item.quantity and change.unit_amount == item.unit_amount
            ):
                continue
            if change.quantity == 0:
                notes.append(f"removed {item.name}")
                item.delete()
                continue
            try:
                priced = price_line(
                    Line(
                        name=item.name,
                        quantity=change.quantity,
                        unit_amount=change.unit_amount,
                        discount_percent=item.discount_percent,
                        discount_amount=item.discount_amount,
                        tax_rate=item.tax_rate,
                    )
                )
            except PricingError as exc:
                raise ChangeRefused(str(exc), "amount_invalid") from None
            notes.append(
                f"{item.name}: {change.quantity} at "
                f"{money.format_cents(change.unit_amount, subscription.currency)}"
            )
            item.quantity = change.quantity
            item.unit_amount = change.unit_amount
            item.amount = priced.total
            item.save(update_fields=["quantity", "unit_amount", "amount"])
        if not notes:
            raise ChangeRefused("Nothing was changed.", "nothing_changed")
        subscription.amount = sum(i.amount for i in subscription.items.all())
        _check_card_limit(subscription.amount, subscription.currency)
        subscription.save(update_fields=["amount", "updated_at"])
        _record_change(
            subscription,
            event="subscription.updated",
            kind="items_changed",
            message=(
                "From the next period: " + "; ".join(notes) + ". New amount per period: "
                f"{money.format_cents(subscription.amount, subscription.currency)}."
            ),
            actor=actor,
        )
    return subscription


@dataclass(frozen=True)
class ItemAddition:
    """A line to add: a product of the library (`product_id`, priced at its unit price
    unless `unit_amount` is given), or a custom line (`name` and `unit_amount`)."""

    quantity: int
    product_id: int | None = None
    name: str = ""
    unit_amount: int | None = None


def _addition_line(subscription: Subscription, addition: ItemAddition) -> dict:
    """The snapshot fields of the new item, or raises ChangeRefused with the reason."""
    if not 1 <= addition.quantity <= 10_000:
        raise ChangeRefused("Enter a quantity from 1 to 10,000.")
    if addition.product_id is None:
        name = addition.name.strip()
        if not name:
            raise ChangeRefused("Name the custom line.")
        if len(name) > 200:
            raise ChangeRefused("Keep the line's name under 200 characters.")
        if addition.unit_amount is None:
            raise ChangeRefused("Enter the custom line's unit price.")
        return {"product": None, "name": name, "sku": "", "unit_amount": addition.unit_amount}
    product = Product.objects.filter(
        portal_id=subscription.portal_id, pk=addition.product_id, archived=False
    ).first()
    if product is None:
        raise ChangeRefused("Choose a product of your library.")
    ours = schedule_phrase(subscription.billing_frequency, subscription.term_periods)
    if product.billing_frequency != subscription.billing_frequency:
        billed = product.schedule or "once (one-time)"
        raise ChangeRefused(
            f"{product.name} is billed {billed}; this subscription bills {ours}. "
            "Add a product with the same billing frequency, or a custom line."
        )
    # A product sold for a fixed term must not silently run for a different one; a
    # product without a term follows the subscription's.
    if product.term_periods is not None and product.term_periods != subscription.term_periods:
        raise ChangeRefused(
            f"{product.name} is billed {product.schedule}; this subscription bills {ours}. "
            "Add it as a custom line to bill it on this subscription's schedule."
        )
    if product.currency != subscription.currency:
        raise ChangeRefused(f"{product.name} is priced in {product.currency.upper()}.")
    unit_amount = product.unit_price if addition.unit_amount is None else addition.unit_amount
    return {
        "product": product,
        "name": product.name,
        "sku": product.sku,
        "unit_amount": unit_amount,
    }


def subscription_item_add(
    *, portal: Portal, subscription_id: int, addition: ItemAddition, actor, today: date
) -> Subscription:
    """Adds a line to the subscription, billed on its schedule from the next period:
    a product of the library with the subscription's billing frequency (and its term,
    when the product has one), or a custom line. The per-period amount is re-priced by
    commerce.pricing; the cycle of a period already being billed keeps the amount it
    froze.

    Locks the subscription row; same refusals as `subscription_change`. Records the
    change in the timeline and e-mails the buyer after commit."""
    with transaction.atomic():
        subscription = _locked(subscription_id, portal)
        _refuse_if_closed(subscription, today=today)
        fields = _addition_line(subscription, addition)
        try:
            priced = price_line(
                Line(
                    name=fields["name"],
                    quantity=addition.quantity,
                    unit_amount=fields["unit_amount"],
                )
            )
        except PricingError as exc:
            raise ChangeRefused(str(exc)) from None
        items = list(subscription.items.select_for_update())
        _check_card_limit(sum(i.amount for i in items) + priced.total, subscription.currency)
        SubscriptionItem.objects.create(
            portal=portal,
            subscription=subscription,
            quantity=addition.quantity,
            amount=priced.total,
            position=max((i.position for i in items), default=-1) + 1,
            **fields,
        )
        subscription.amount = sum(i.amount for i in items) + priced.total
        subscription.save(update_fields=["amount", "updated_at"])
        currency = subscription.currency
        _record_change(
            subscription,
            event="subscription.updated",
            kind="item_added",
            message=(
                f"From the next period: added {fields['name']}, quantity {addition.quantity} at "
                f"{money.format_cents(fields['unit_amount'], currency)}. New amount per "
                f"period: {money.format_cents(subscription.amount, currency)}."
            ),
            actor=actor,
        )
    return subscription


# --- Manual creation ---------------------------------------------------------------------


def subscription_create_manual(
    *,
    portal: Portal,
    contact: Contact,
    product_id: int,
    quantity: int,
    start_date: date,
    send_card_link: bool,
    actor,
    today: date,
) -> Subscription:
    """A subscription a billing admin sets up for a contact: one recurring product,
    first charged on `start_date` by the billing run (status scheduled until then).

    Uses the contact's card already saved on the connected account; with
    `send_card_link` (or when no card is saved) it creates the Stripe customer if
    needed and e-mails the contact the secure card-update link instead, and the run
    charges once a card is saved. Calls Stripe before the transaction (customer and
    cards are read or created idempotently); records the creation in the timeline."""
    account = ready_account_id(portal)
    if account is None:
        raise ChangeRefused("The portal's Stripe account is not ready to take payments.")
    product = Product.objects.filter(portal=portal, pk=product_id, archived=False).first()
    if product is None or not is_recurring(product.billing_frequency):
        raise ChangeRefused("Choose a recurring product.")
    if start_date < today:
        raise ChangeRefused("The first charge cannot be in the past.")
    try:
        priced = price_line(
            Line(name=product.name, quantity=quantity, unit_amount=product.unit_price)
        )
    except PricingError as exc:
        raise ChangeRefused(str(exc)) from None
    _check_card_limit(priced.total, product.currency)
    try:
        customer = contact.stripe_customer_id
        if not customer:
            customer = stripe_api.customer_create(
                account=account,
                email=contact.email,
                name=contact.full_name,
                metadata={"contact": str(contact.pk)},
                idempotency_key=f"contact:{portal.pk}:{contact.pk}:customer",
            )["id"]
            Contact.objects.filter(pk=contact.pk, stripe_customer_id="").update(
                stripe_customer_id=customer
            )
        cards = (
            [] if send_card_link else stripe_api.customer_cards(account=account, customer=customer)
        )
    except stripe_api.StripeServiceError as exc:
        raise ChangeRefused(exc.user_message) from None
    if not cards and not send_card_link:
        raise ChangeRefused(
            "This contact has no card saved on your Stripe account. "
            "Send them a link to set one up instead."
        )
    with transaction.atomic():
        subscription = Subscription.objects.create(
            portal=portal,
            contact=contact,
            status=Subscription.Status.SCHEDULED,
            billing_frequency=product.billing_frequency,
            term_periods=product.term_periods,
            currency=product.currency,
            amount=priced.total,
            start_date=start_date,
            next_billing_date=start_date,
            periods_billed=0,
            stripe_account_id=account,
            stripe_customer_id=customer,
            payment_method_id=cards[0]["id"] if cards else "",
        )
        SubscriptionItem.objects.create(
            portal=portal,
            subscription=subscription,
            product=product,
            name=product.name,
            sku=product.sku,
            quantity=quantity,
            unit_amount=product.unit_price,
            amount=priced.total,
        )
        SubscriptionEvent.objects.create(
            portal=portal,
            subscription=subscription,
            kind="created",
            message=f"Created by an admin; first charge on {format_day(start_date)}"
            + (" once the buyer saves a card." if not cards else "."),
            actor=actor,
        )
        event_record(portal=portal, type="subscription.created", obj=subscription)
        if not cards:
            send_templated_email(
                to=[contact.email],
                template="subscription_card_setup",
                context={
                    "portal": portal,
                    "subscription": subscription,
                    "card_update_url": card_update_url(subscription),
                },
                reply_to=portal.support_email or None,
            )
    return subscription
