"""Writes of subscriptions. The checkout creates them; the billing run (a later issue)
bills their next periods from `next_billing_date`."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from commerce.catalog.models import FREQUENCY_INTERVALS, BillingFrequency
from commerce.customers.models import Contact
from commerce.portals.models import Portal

from .models import Subscription, SubscriptionItem


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
) -> Subscription:
    """A subscription whose first period the buyer has just paid (at checkout).

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
            return existing
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
    return subscription
