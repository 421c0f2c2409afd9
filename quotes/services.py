"""Writes of quotes. One function per action; each transition locks the quote
(SELECT … FOR UPDATE), refuses an illegal move with a QuoteError whose message can be
shown to a person, and records a QuoteEvent on the quote's timeline: the documents core
does these as for every document (`QUOTES`, quotes.kind), this module says what a quote
does. A transition the buyer's systems hear about records its event (quote.published,
accepted, declined, expired, paid) in its transaction, once per change
(`QUOTES.record_event`). E-mails are sent after commit (commerce.notifications)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from commerce import money
from commerce.clock import format_day, hub_now
from commerce.customers.models import Contact
from commerce.customers.services import contact_create, normalize_email
from commerce.documents.kinds import portal_today
from commerce.documents.lines import LineInput, copy_lines
from commerce.notifications import portal_admin_emails, send_templated_email
from commerce.portals.models import Portal, User
from commerce.portals.permissions import Role

from .kind import QUOTES, QuoteError
from .models import (
    REMINDER_DAYS_BEFORE_EXPIRY,
    Quote,
    QuoteEvent,
    QuoteLine,
    QuoteNotice,
    QuoteSettings,
    QuoteStatus,
)
from .pricing import QuoteTotals


@dataclass(frozen=True)
class NewContact:
    email: str
    first_name: str = ""
    last_name: str = ""
    company: str = ""


def price_lines(
    lines: Sequence[LineInput | QuoteLine],
    *,
    discount_percent: Decimal | None,
    discount_amount: int | None,
    currency: str = money.DEFAULT_CURRENCY,
) -> QuoteTotals:
    """Totals of a quote's lines, or a QuoteError saying what is wrong."""
    return QUOTES.price(
        lines, discount_percent=discount_percent, discount_amount=discount_amount, currency=currency
    )


def quote_totals(quote: Quote, lines: Sequence[QuoteLine] | None = None) -> QuoteTotals:
    return QUOTES.totals(quote, lines)


# --- Helpers ----------------------------------------------------------------------


def quote_settings_for(*, portal: Portal) -> QuoteSettings:
    return QUOTES.settings_for(portal)


def default_expiry(*, portal: Portal) -> dt.date:
    days = quote_settings_for(portal=portal).default_expiry_days
    return portal_today(portal) + dt.timedelta(days=days)


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


def _check_card_limit(totals: QuoteTotals, *, requires_payment: bool) -> None:
    """A quote the buyer pays when accepting must be payable by card at once."""
    if not requires_payment:
        return
    refusal = money.card_limit_refusal(
        totals.total,
        totals.currency,
        what="The total due today" if totals.has_recurring else "The total",
    )
    if refusal:
        raise QuoteError(
            f"{refusal} Lower the quantities or split the quote, or untick “The buyer pays "
            "when accepting” and have the buyer pay another way."
        )


def _check_owner(portal: Portal, owner: User | None) -> None:
    if (
        owner is not None
        and not owner.memberships.filter(
            portal=portal, role__in=[Role.SUPER_ADMIN, Role.SALES_REP]
        ).exists()
    ):
        raise QuoteError("The owner must be a sales rep or super admin of this portal.")


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
    _check_card_limit(
        price_lines(lines, discount_percent=discount_percent, discount_amount=discount_amount),
        requires_payment=requires_payment,
    )
    _check_owner(portal, owner)
    return QUOTES.create(
        portal,
        actor=actor,
        lines=lines,
        number=QUOTES.next_number(portal)[1],
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
    locked = QUOTES.lock(quote)
    QUOTES.check(locked, "edit")
    _check_card_limit(
        price_lines(lines, discount_percent=discount_percent, discount_amount=discount_amount),
        requires_payment=requires_payment,
    )
    _check_owner(locked.portal, owner)
    return QUOTES.update(
        locked,
        actor=actor,
        lines=lines,
        title=title.strip() or "Quote",
        contact=_resolve_contact(locked.portal, contact, new_contact),
        owner=owner,
        expires_on=expires_on,
        terms=terms,
        comments=comments,
        requires_payment=requires_payment,
        discount_percent=discount_percent,
        discount_amount=discount_amount,
    )


@transaction.atomic
def quote_clone(*, quote: Quote, actor: User | None) -> Quote:
    """A new draft with the same content, a new number and a fresh expiry date."""
    source = Quote.objects.select_related("portal").get(pk=quote.pk, portal_id=quote.portal_id)
    clone = QUOTES.create(
        source.portal,
        actor=actor,
        lines=copy_lines(source.lines.select_related("product")),
        event=QuoteEvent.Kind.CLONED,
        detail=f"From {source.display_number}",
        number=QUOTES.next_number(source.portal)[1],
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
    QUOTES.record(
        source, QuoteEvent.Kind.CLONED, actor=actor, detail=f"Copied to {clone.display_number}"
    )
    return clone


# --- Transitions ----------------------------------------------------------------


@transaction.atomic
def quote_publish(*, quote: Quote, actor: User | None, now: dt.datetime | None = None) -> Quote:
    """draft → published: creates the unguessable public token (locks the quote)."""
    locked = QUOTES.lock(quote)
    QUOTES.check(locked, "publish")
    lines = QUOTES.issuable_lines(locked, "publishing")
    if locked.expires_on < portal_today(locked.portal, now):
        raise QuoteError("The expiration date is in the past: choose a later date first.")
    _check_card_limit(quote_totals(locked, lines), requires_payment=locked.requires_payment)
    QUOTES.move(
        locked,
        QuoteStatus.PUBLISHED,
        event=QuoteEvent.Kind.PUBLISHED,
        actor=actor,
        public_token=secrets.token_urlsafe(24),
        published_at=now or hub_now(),
        reminder_sent_at=None,
    )
    QUOTES.record_event(locked, "quote.published")
    return locked


@transaction.atomic
def quote_revert(*, quote: Quote, actor: User | None) -> Quote:
    """published / declined / expired → draft. The public link stops working for good
    (the token is dropped; publishing again makes a new one)."""
    locked = QUOTES.lock(quote)
    QUOTES.check(locked, "revert")
    return QUOTES.move(
        locked,
        QuoteStatus.DRAFT,
        event=QuoteEvent.Kind.REVERTED,
        actor=actor,
        public_token=None,
        declined_at=None,
        decline_reason="",
        expired_at=None,
    )


def _check_open_to_buyer(quote: Quote, now: dt.datetime) -> None:
    if quote.status == QuoteStatus.PUBLISHED and quote.is_past_expiry(now, quote.portal.time_zone):
        raise QuoteError(f"This quote expired on {format_day(quote.expires_on)}.")
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
    now = now or hub_now()
    locked = QUOTES.lock(quote)
    _check_open_to_buyer(locked, now)
    name = " ".join(signed_name.split())
    if len(name) < 2:
        raise QuoteError("Type your full name to sign.")
    if not agreed_to_terms:
        raise QuoteError("Tick the box to accept the terms.")
    QUOTES.move(
        locked,
        QuoteStatus.ACCEPTED,
        event=QuoteEvent.Kind.ACCEPTED,
        detail=f"Signed by {name}",
        accepted_at=now,
        accepted_name=name[:200],
        accepted_ip=ip or None,
        accepted_user_agent=user_agent[:500],
    )
    QUOTES.record_event(locked, "quote.accepted")
    _notify_owner(locked, "quote_accepted", f"{locked.display_number} was accepted by {name}.")
    return locked


@transaction.atomic
def quote_decline(*, quote: Quote, reason: str = "", now: dt.datetime | None = None) -> Quote:
    """published → declined, by the buyer (locks the quote; notifies the owner)."""
    now = now or hub_now()
    locked = QUOTES.lock(quote)
    _check_open_to_buyer(locked, now)
    reason = reason.strip()[:2000]
    QUOTES.move(
        locked,
        QuoteStatus.DECLINED,
        event=QuoteEvent.Kind.DECLINED,
        detail=reason,
        declined_at=now,
        decline_reason=reason,
    )
    QUOTES.record_event(locked, "quote.declined")
    _notify_owner(locked, "quote_declined", f"{locked.display_number} was declined.")
    return locked


@transaction.atomic
def quote_expire(*, quote: Quote, now: dt.datetime | None = None) -> bool:
    """published → expired once the expiry date is over in the portal's time zone.
    Returns False (and changes nothing) when the quote is not due; safe to run twice."""
    now = now or hub_now()
    locked = QUOTES.lock(quote)
    if not QUOTES.allows(locked, "expire") or not locked.is_past_expiry(
        now, locked.portal.time_zone
    ):
        return False
    QUOTES.move(locked, QuoteStatus.EXPIRED, event=QuoteEvent.Kind.EXPIRED, expired_at=now)
    QUOTES.record_event(locked, "quote.expired")
    return True


@transaction.atomic
def quote_mark_paid(*, quote: Quote, payment: Any) -> Quote:
    """accepted → paid, called by the checkout when the quote's payment succeeds (locks
    the quote). Idempotent for the same payment: checkout completion can run twice."""
    locked = QUOTES.lock(quote)
    if locked.status == QuoteStatus.PAID and locked.payment_id == payment.pk:
        return locked
    QUOTES.check(locked, "mark_paid")
    QUOTES.move(
        locked,
        QuoteStatus.PAID,
        event=QuoteEvent.Kind.PAID,
        payment=payment,
        paid_at=hub_now(),
    )
    QUOTES.record_event(locked, "quote.paid")
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
    now = now or hub_now()
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
    QUOTES.record(quote, QuoteEvent.Kind.REMINDED)
    when = "today" if days_left == 0 else f"in {days_left} day{'s' if days_left != 1 else ''}"
    _notify_owner(quote, "quote_expiring", f"{quote.display_number} expires {when}.")
    return True


@transaction.atomic
def notice_dismiss(*, portal: Portal, user: User, notice_id: int) -> int:
    """Hides one of the user's notices; returns how many were dismissed (0 or 1)."""
    return QuoteNotice.objects.filter(
        portal=portal, user=user, pk=notice_id, dismissed_at__isnull=True
    ).update(dismissed_at=hub_now())


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
