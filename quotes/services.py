"""Writes of quotes. One function per action; each transition locks the quote
(SELECT … FOR UPDATE), refuses an illegal move with a QuoteError whose message can be
shown to a person, and records a QuoteEvent on the quote's timeline. E-mails are sent
after commit (commerce.notifications)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from commerce import money, pricing
from commerce.catalog.models import BillingFrequency, Product, is_recurring
from commerce.customers.models import Contact
from commerce.customers.services import contact_create, normalize_email
from commerce.notifications import portal_admin_emails, send_templated_email
from commerce.portals.models import Portal, User
from commerce.portals.permissions import Role

from .models import (
    REMINDER_DAYS_BEFORE_EXPIRY,
    Quote,
    QuoteEvent,
    QuoteLine,
    QuoteNotice,
    QuoteSettings,
    QuoteStatus,
)
from .pricing import QuoteDiscountError, QuoteTotals, compute_quote

HUNDRED = Decimal(100)
MAX_LINES = 200


class QuoteError(Exception):
    """An action the quote's state or content does not allow; safe to show a person."""


# --- Inputs ---------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    """One line as the builder submits it (already parsed: cents, Decimals)."""

    name: str
    quantity: int
    unit_amount: int
    product: Product | None = None
    sku: str = ""
    description: str = ""
    discount_percent: Decimal | None = None
    discount_amount: int | None = None
    tax_rate: Decimal = Decimal(0)
    billing_frequency: str = BillingFrequency.ONE_TIME
    term_periods: int | None = None

    def snapshot(self) -> dict[str, Any]:
        """The line's fields as a document line (QuoteLine, InvoiceLine) stores them."""
        return {
            "product": self.product,
            "name": self.name.strip()[:200],
            "sku": self.sku,
            "description": self.description,
            "quantity": self.quantity,
            "unit_amount": self.unit_amount,
            "discount_percent": self.discount_percent,
            "discount_amount": self.discount_amount,
            "tax_rate": self.tax_rate,
            "billing_frequency": self.billing_frequency,
            "term_periods": self.term_periods or None,
        }


@dataclass(frozen=True)
class NewContact:
    email: str
    first_name: str = ""
    last_name: str = ""
    company: str = ""


def check_line(line: LineInput, *, label: str = "A line") -> None:
    """Refuses what the totals engine would silently cap or accept: messages for people."""
    if line.quantity < 0:
        raise QuoteError(f"{label}: the quantity cannot be negative.")
    if line.quantity == 0:
        raise QuoteError(f"{label}: the quantity must be at least 1.")
    if line.unit_amount < 0:
        raise QuoteError(f"{label}: the unit price cannot be negative.")
    if line.discount_percent is not None and not (0 <= line.discount_percent <= HUNDRED):
        raise QuoteError(f"{label}: a discount must be between 0% and 100%.")
    if line.discount_amount is not None:
        if line.discount_amount < 0:
            raise QuoteError(f"{label}: a discount cannot be negative.")
        if line.discount_amount > line.quantity * line.unit_amount:
            raise QuoteError(
                f"{label}: the discount ({money.format_cents(line.discount_amount)}) is more "
                f"than the line amount ({money.format_cents(line.quantity * line.unit_amount)})."
            )
    if not (0 <= line.tax_rate <= HUNDRED):
        raise QuoteError(f"{label}: a tax rate must be between 0% and 100%.")
    if not is_recurring(line.billing_frequency) and line.term_periods:
        raise QuoteError(f"{label}: a one-time line has no term.")
    if not line.name.strip():
        raise QuoteError(f"{label}: give the line a name.")


def price_lines(
    lines: Sequence[LineInput | QuoteLine],
    *,
    discount_percent: Decimal | None,
    discount_amount: int | None,
    currency: str = money.DEFAULT_CURRENCY,
) -> QuoteTotals:
    """Totals of a quote's lines, or a QuoteError saying what is wrong."""
    for index, line in enumerate(lines, start=1):
        if isinstance(line, LineInput):
            check_line(line, label=f"Line {index}")
    try:
        return compute_quote(
            [pricing.Line.from_snapshot(line) for line in lines],
            discount_percent=discount_percent,
            discount_amount=discount_amount,
            currency=currency,
        )
    except (QuoteDiscountError, pricing.PricingError) as exc:
        raise QuoteError(str(exc)) from None


def quote_totals(quote: Quote, lines: Sequence[QuoteLine] | None = None) -> QuoteTotals:
    return price_lines(
        list(quote.lines.all()) if lines is None else lines,
        discount_percent=quote.discount_percent,
        discount_amount=quote.discount_amount,
        currency=quote.currency,
    )


# --- Helpers ----------------------------------------------------------------------


def portal_today(portal: Portal, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(ZoneInfo(portal.time_zone)).date()


def quote_settings_for(*, portal: Portal) -> QuoteSettings:
    quote_settings, _ = QuoteSettings.objects.get_or_create(portal=portal)
    return quote_settings


def default_expiry(*, portal: Portal) -> dt.date:
    days = quote_settings_for(portal=portal).default_expiry_days
    return portal_today(portal) + dt.timedelta(days=days)


def _lock(quote: Quote) -> Quote:
    return (
        Quote.objects.select_for_update()
        .select_related("portal")
        .get(pk=quote.pk, portal_id=quote.portal_id)
    )


def _event(quote: Quote, kind: str, *, actor: User | None = None, detail: str = "") -> None:
    QuoteEvent.objects.create(quote=quote, kind=kind, actor=actor, detail=detail[:500])


def _next_number(portal: Portal) -> int:
    quote_settings_for(portal=portal)
    locked = QuoteSettings.objects.select_for_update().get(portal=portal)
    locked.last_number += 1
    locked.save(update_fields=["last_number"])
    return locked.last_number


def _refuse(quote: Quote, allowed: Sequence[str], action: str) -> None:
    if quote.status not in allowed:
        raise QuoteError(
            f"{quote.display_number} is {quote.get_status_display().lower()}: it cannot be {action}."
        )


def _resolve_contact(portal: Portal, contact: Contact | None, new_contact: NewContact | None):
    if contact is not None:
        if contact.portal_id != portal.pk:
            raise QuoteError("Choose a contact of this portal.")
        return contact
    if new_contact is None or not new_contact.email.strip():
        return None
    existing = Contact.objects.filter(
        portal=portal, email__iexact=normalize_email(new_contact.email)
    ).first()
    if existing is not None:
        return existing
    try:
        return contact_create(
            portal=portal,
            email=new_contact.email,
            first_name=new_contact.first_name,
            last_name=new_contact.last_name,
            company=new_contact.company,
        )
    except ValidationError as exc:
        raise QuoteError(" ".join(exc.messages)) from None


def _check_owner(portal: Portal, owner: User | None) -> None:
    if (
        owner is not None
        and not owner.memberships.filter(
            portal=portal, role__in=[Role.SUPER_ADMIN, Role.SALES_REP]
        ).exists()
    ):
        raise QuoteError("The owner must be a sales rep or super admin of this portal.")


def _write_lines(quote: Quote, lines: Sequence[LineInput]) -> None:
    if len(lines) > MAX_LINES:
        raise QuoteError(f"A quote can have at most {MAX_LINES} lines.")
    for line in lines:
        if line.product is not None and line.product.portal_id != quote.portal_id:
            raise QuoteError("Choose products of this portal.")
    quote.lines.all().delete()
    QuoteLine.objects.bulk_create(
        QuoteLine(quote=quote, position=position, **line.snapshot())
        for position, line in enumerate(lines)
    )


# --- Building -------------------------------------------------------------------


@transaction.atomic
def quote_create(
    *,
    portal: Portal,
    actor: User | None,
    title: str,
    expires_on: dt.date,
    lines: Sequence[LineInput] = (),
    contact: Contact | None = None,
    new_contact: NewContact | None = None,
    owner: User | None = None,
    terms: str = "",
    comments: str = "",
    requires_payment: bool = True,
    discount_percent: Decimal | None = None,
    discount_amount: int | None = None,
) -> Quote:
    """A new draft, numbered gaplessly per portal (locks the portal's QuoteSettings row).
    Creates the contact first when `new_contact` is given instead of `contact`."""
    price_lines(lines, discount_percent=discount_percent, discount_amount=discount_amount)
    _check_owner(portal, owner)
    quote = Quote.objects.create(
        portal=portal,
        number=_next_number(portal),
        title=title.strip() or "Quote",
        contact=_resolve_contact(portal, contact, new_contact),
        owner=owner,
        currency=portal.currency,
        expires_on=expires_on,
        terms=terms,
        comments=comments,
        requires_payment=requires_payment,
        discount_percent=discount_percent,
        discount_amount=discount_amount,
    )
    _write_lines(quote, lines)
    _event(quote, QuoteEvent.Kind.CREATED, actor=actor)
    return quote


@transaction.atomic
def quote_update(
    *,
    quote: Quote,
    actor: User | None,
    title: str,
    expires_on: dt.date,
    lines: Sequence[LineInput],
    contact: Contact | None = None,
    new_contact: NewContact | None = None,
    owner: User | None = None,
    terms: str = "",
    comments: str = "",
    requires_payment: bool = True,
    discount_percent: Decimal | None = None,
    discount_amount: int | None = None,
) -> Quote:
    """Replaces a draft's fields and lines (locks the quote). A published quote is locked."""
    locked = _lock(quote)
    _refuse(locked, [QuoteStatus.DRAFT], "edited; revert it to draft first")
    price_lines(lines, discount_percent=discount_percent, discount_amount=discount_amount)
    _check_owner(locked.portal, owner)
    locked.title = title.strip() or "Quote"
    locked.contact = _resolve_contact(locked.portal, contact, new_contact)
    locked.owner = owner
    locked.expires_on = expires_on
    locked.terms = terms
    locked.comments = comments
    locked.requires_payment = requires_payment
    locked.discount_percent = discount_percent
    locked.discount_amount = discount_amount
    locked.save()
    _write_lines(locked, lines)
    _event(locked, QuoteEvent.Kind.UPDATED, actor=actor)
    return locked


@transaction.atomic
def quote_clone(*, quote: Quote, actor: User | None) -> Quote:
    """A new draft with the same content, a new number and a fresh expiry date."""
    source = Quote.objects.select_related("portal").get(pk=quote.pk, portal_id=quote.portal_id)
    clone = Quote.objects.create(
        portal=source.portal,
        number=_next_number(source.portal),
        title=source.title,
        contact=source.contact,
        owner=source.owner,
        currency=source.currency,
        expires_on=max(default_expiry(portal=source.portal), portal_today(source.portal)),
        terms=source.terms,
        comments=source.comments,
        requires_payment=source.requires_payment,
        discount_percent=source.discount_percent,
        discount_amount=source.discount_amount,
        cloned_from=source,
    )
    QuoteLine.objects.bulk_create(
        QuoteLine(
            quote=clone,
            **{
                f.name: getattr(line, f.name)
                for f in QuoteLine._meta.concrete_fields
                if f.name not in ("id", "quote")
            },
        )
        for line in source.lines.all()
    )
    _event(clone, QuoteEvent.Kind.CLONED, actor=actor, detail=f"From {source.display_number}")
    _event(source, QuoteEvent.Kind.CLONED, actor=actor, detail=f"Copied to {clone.display_number}")
    return clone


# --- Transitions ----------------------------------------------------------------


@transaction.atomic
def quote_publish(*, quote: Quote, actor: User | None, now: dt.datetime | None = None) -> Quote:
    """draft → published: creates the unguessable public token (locks the quote)."""
    locked = _lock(quote)
    _refuse(locked, [QuoteStatus.DRAFT], "published")
    lines = list(locked.lines.all())
    if not lines:
        raise QuoteError("Add at least one line item before publishing.")
    if locked.contact_id is None:
        raise QuoteError("Choose the contact this quote is for before publishing.")
    if locked.expires_on < portal_today(locked.portal, now):
        raise QuoteError("The expiration date is in the past: choose a later date first.")
    quote_totals(locked, lines)
    locked.status = QuoteStatus.PUBLISHED
    locked.public_token = secrets.token_urlsafe(24)
    locked.published_at = now or timezone.now()
    locked.reminder_sent_at = None
    locked.save(update_fields=["status", "public_token", "published_at", "reminder_sent_at"])
    _event(locked, QuoteEvent.Kind.PUBLISHED, actor=actor)
    return locked


@transaction.atomic
def quote_revert(*, quote: Quote, actor: User | None) -> Quote:
    """published / declined / expired → draft. The public link stops working for good
    (the token is dropped; publishing again makes a new one)."""
    locked = _lock(quote)
    _refuse(
        locked,
        [QuoteStatus.PUBLISHED, QuoteStatus.DECLINED, QuoteStatus.EXPIRED],
        "reverted to draft",
    )
    locked.status = QuoteStatus.DRAFT
    locked.public_token = None
    locked.declined_at = None
    locked.decline_reason = ""
    locked.expired_at = None
    locked.save(
        update_fields=["status", "public_token", "declined_at", "decline_reason", "expired_at"]
    )
    _event(locked, QuoteEvent.Kind.REVERTED, actor=actor)
    return locked


def _check_open_to_buyer(quote: Quote, now: dt.datetime) -> None:
    if quote.status == QuoteStatus.PUBLISHED and quote.is_past_expiry(now, quote.portal.time_zone):
        raise QuoteError(f"This quote expired on {quote.expires_on:%B %-d, %Y}.")
    if quote.status != QuoteStatus.PUBLISHED:
        raise QuoteError(
            f"This quote is {quote.get_status_display().lower()} and can no longer be answered."
        )


@transaction.atomic
def quote_accept(
    *,
    quote: Quote,
    signed_name: str,
    agreed_to_terms: bool,
    ip: str | None,
    user_agent: str,
    now: dt.datetime | None = None,
) -> Quote:
    """published → accepted, by the buyer, with the typed name, time, IP and user agent
    (locks the quote; notifies the owner after commit)."""
    now = now or timezone.now()
    locked = _lock(quote)
    _check_open_to_buyer(locked, now)
    name = " ".join(signed_name.split())
    if len(name) < 2:
        raise QuoteError("Type your full name to sign.")
    if not agreed_to_terms:
        raise QuoteError("Tick the box to accept the terms.")
    locked.status = QuoteStatus.ACCEPTED
    locked.accepted_at = now
    locked.accepted_name = name[:200]
    locked.accepted_ip = ip or None
    locked.accepted_user_agent = user_agent[:500]
    locked.save(
        update_fields=[
            "status",
            "accepted_at",
            "accepted_name",
            "accepted_ip",
            "accepted_user_agent",
        ]
    )
    _event(locked, QuoteEvent.Kind.ACCEPTED, detail=f"Signed by {name}")
    _notify_owner(locked, "quote_accepted", f"{locked.display_number} was accepted by {name}.")
    return locked


@transaction.atomic
def quote_decline(*, quote: Quote, reason: str = "", now: dt.datetime | None = None) -> Quote:
    """published → declined, by the buyer (locks the quote; notifies the owner)."""
    now = now or timezone.now()
    locked = _lock(quote)
    _check_open_to_buyer(locked, now)
    locked.status = QuoteStatus.DECLINED
    locked.declined_at = now
    locked.decline_reason = reason.strip()[:2000]
    locked.save(update_fields=["status", "declined_at", "decline_reason"])
    _event(locked, QuoteEvent.Kind.DECLINED, detail=locked.decline_reason)
    _notify_owner(locked, "quote_declined", f"{locked.display_number} was declined.")
    return locked


@transaction.atomic
def quote_expire(*, quote: Quote, now: dt.datetime | None = None) -> bool:
    """published → expired once the expiry date is over in the portal's time zone.
    Returns False (and changes nothing) when the quote is not due; safe to run twice."""
    now = now or timezone.now()
    locked = _lock(quote)
    if locked.status != QuoteStatus.PUBLISHED or not locked.is_past_expiry(
        now, locked.portal.time_zone
    ):
        return False
    locked.status = QuoteStatus.EXPIRED
    locked.expired_at = now
    locked.save(update_fields=["status", "expired_at"])
    _event(locked, QuoteEvent.Kind.EXPIRED)
    return True


@transaction.atomic
def quote_mark_paid(*, quote: Quote, payment: Any) -> Quote:
    """accepted → paid, called by the checkout when the quote's payment succeeds (locks
    the quote). Idempotent for the same payment: checkout completion can run twice."""
    locked = _lock(quote)
    if locked.status == QuoteStatus.PAID and locked.payment_id == payment.pk:
        return locked
    _refuse(locked, [QuoteStatus.ACCEPTED], "marked paid")
    locked.status = QuoteStatus.PAID
    locked.payment = payment
    locked.paid_at = timezone.now()
    locked.save(update_fields=["status", "payment", "paid_at"])
    _event(locked, QuoteEvent.Kind.PAID)
    _notify_owner(locked, "quote_paid", f"{locked.display_number} was paid.")
    return locked


# --- E-mail and notices -----------------------------------------------------------


def public_url(quote: Quote) -> str:
    return settings.SITE_URL + reverse("quotes:public", args=[quote.public_token])


def _owner_recipients(quote: Quote) -> list[str]:
    if quote.owner is not None and quote.owner.is_active:
        return [quote.owner.email]
    return portal_admin_emails(quote.portal, roles=[Role.SUPER_ADMIN])


def _notify_owner(quote: Quote, template: str, text: str) -> None:
    """E-mails the owner (or the super admins when nobody owns the quote) and leaves a
    notice in the hub for the owner."""
    send_templated_email(
        to=_owner_recipients(quote),
        template=template,
        context={
            "portal": quote.portal,
            "quote": quote,
            "site_url": settings.SITE_URL,
            "url": settings.SITE_URL + quote.get_absolute_url(),
        },
    )
    if quote.owner_id is not None:
        QuoteNotice.objects.create(
            portal=quote.portal, user_id=quote.owner_id, quote=quote, text=text[:300]
        )


@transaction.atomic
def quote_remind_expiry(*, quote_id: int, now: dt.datetime | None = None) -> bool:
    """Reminds the owner that a published quote expires within three days. The reminder
    is claimed with a conditional UPDATE (… WHERE reminder_sent_at IS NULL), so a task
    that runs twice, or twice at once, sends it exactly once. Returns whether it sent."""
    now = now or timezone.now()
    quote = Quote.objects.select_related("portal", "owner").get(pk=quote_id)
    if quote.status != QuoteStatus.PUBLISHED:
        return False
    days_left = (quote.expires_on - portal_today(quote.portal, now)).days
    if not (0 <= days_left <= REMINDER_DAYS_BEFORE_EXPIRY):
        return False
    claimed = Quote.objects.filter(
        pk=quote.pk, status=QuoteStatus.PUBLISHED, reminder_sent_at__isnull=True
    ).update(reminder_sent_at=now)
    if not claimed:
        return False
    _event(quote, QuoteEvent.Kind.REMINDED)
    when = "today" if days_left == 0 else f"in {days_left} day{'s' if days_left != 1 else ''}"
    _notify_owner(quote, "quote_expiring", f"{quote.display_number} expires {when}.")
    return True


@transaction.atomic
def notice_dismiss(*, portal: Portal, user: User, notice_id: int) -> int:
    """Hides one of the user's notices; returns how many were dismissed (0 or 1)."""
    return QuoteNotice.objects.filter(
        portal=portal, user=user, pk=notice_id, dismissed_at__isnull=True
    ).update(dismissed_at=timezone.now())


@transaction.atomic
def quote_settings_update(
    *, portal: Portal, default_expiry_days: int, default_terms: str
) -> QuoteSettings:
    quote_settings_for(portal=portal)
    locked = QuoteSettings.objects.select_for_update().get(portal=portal)
    if not 1 <= default_expiry_days <= 365:
        raise QuoteError("Quotes must expire between 1 and 365 days after they are created.")
    locked.default_expiry_days = default_expiry_days
    locked.default_terms = default_terms
    locked.save(update_fields=["default_expiry_days", "default_terms"])
    return locked
