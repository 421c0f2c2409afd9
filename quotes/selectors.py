"""Reads of quotes. Every staff query starts from the portal; the public page resolves
a quote by its token only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from commerce import ids
from commerce.clock import hub_now
from commerce.documents import selectors as documents
from commerce.documents.kinds import DocumentContents, portal_today
from commerce.portals.access import for_portal, get_for_portal
from commerce.portals.models import Membership, Portal, User
from commerce.portals.permissions import Role

from .kind import QUOTES
from .models import REMINDER_DAYS_BEFORE_EXPIRY, Quote, QuoteEvent, QuoteNotice, QuoteStatus


def quote_search(
    *,
    portal: Portal,
    search: str = "",
    status: str = "",
    owner_id: int | None = None,
    contact_id: int | None = None,
    expiring_soon: bool = False,
) -> QuerySet[Quote]:
    """Quotes of `portal`, newest first. Every word of `search` must appear in the title,
    the contact's name, company or e-mail, or the number ("Q-0012" or "12")."""
    quotes = documents.search_documents(
        for_portal(Quote.objects.all(), portal).select_related("contact", "owner"),
        search,
        number_in=_number_in,
        fields=["title"],
        status=status,
        owner_id=owner_id,
        contact_id=contact_id,
    )
    if expiring_soon:
        today = portal_today(portal)
        quotes = quotes.filter(
            status=QuoteStatus.PUBLISHED,
            expires_on__gte=today,
            expires_on__lte=today + dt.timedelta(days=7),
        )
    return quotes.order_by("-created_at", "-id")


def _number_in(word: str) -> int | None:
    return ids.parse_int(word.upper().removeprefix("Q-"), minimum=1)


def quote_list_page(
    *, portal: Portal, page_number: str | int | None = 1, **filters
) -> documents.Listing:
    """One page of the list: a constant number of queries whatever its size."""
    return documents.list_page(
        quote_search(portal=portal, **filters), portal=portal, page_number=page_number
    )


def quote_owners(*, portal: Portal) -> QuerySet[User]:
    """People who may own a quote: the portal's sales reps and super admins."""
    return User.objects.filter(
        memberships__portal=portal,
        memberships__role__in=[Role.SALES_REP, Role.SUPER_ADMIN],
        is_active=True,
    ).order_by("name", "email")


def is_member(*, portal: Portal, user_id: int) -> bool:
    return Membership.objects.filter(portal=portal, user_id=user_id).exists()


@dataclass(frozen=True)
class QuoteDocument(DocumentContents):
    """Everything a quote's page, PDF or e-mail shows: the same content everywhere."""

    quote: Quote
    is_expired: bool  # expired, or published and past its expiry date

    @property
    def open_to_buyer(self) -> bool:
        return self.quote.status == QuoteStatus.PUBLISHED and not self.is_expired

    @property
    def expires_in_days(self) -> int:
        return (self.quote.expires_on - portal_today(self.quote.portal)).days


def quote_document(quote: Quote, now: dt.datetime | None = None) -> QuoteDocument:
    lines, totals, problem = QUOTES.contents(quote)
    past = quote.status == QuoteStatus.PUBLISHED and quote.is_past_expiry(
        now or hub_now(), quote.portal.time_zone
    )
    return QuoteDocument(
        quote=quote,
        lines=lines,
        totals=totals,
        problem=problem,
        is_expired=past or quote.status == QuoteStatus.EXPIRED,
    )


def quote_detail(*, portal: Portal, pk: int) -> Quote:
    """One quote of `portal` with what its page shows; a foreign or unknown id is a 404."""
    quotes = (
        for_portal(Quote.objects.all(), portal)
        .select_related("portal", "contact", "owner", "cloned_from", "payment")
        .prefetch_related("lines", "events__actor")
    )
    return documents.document_or_404(quotes, pk=pk)


def quote_get(*, portal: Portal, pk: int) -> Quote:
    """One quote of `portal` to edit or act on, with its portal; another portal's is a 404."""
    return get_for_portal(Quote.objects.select_related("portal"), portal, pk=pk)


def quote_events(quote: Quote) -> list[QuoteEvent]:
    """The quote's timeline (prefetched with their actors by `quote_detail`)."""
    return list(quote.events.all())


# Statuses in which the buyer's link answers: a draft has no token, so a reverted quote's
# old link is simply unknown.
PUBLIC_STATUSES = [
    QuoteStatus.PUBLISHED,
    QuoteStatus.ACCEPTED,
    QuoteStatus.PAID,
    QuoteStatus.DECLINED,
    QuoteStatus.EXPIRED,
]


def quote_for_public(*, token: str) -> Quote:
    """The quote behind a public link, with everything the page shows, in two queries
    (the quote with its portal, contact and owner; its lines). Unknown tokens are a 404."""
    quotes = (
        Quote.objects.select_related("portal", "contact", "owner")
        .prefetch_related("lines")
        .filter(status__in=PUBLIC_STATUSES)
    )
    return documents.document_for_token(quotes, token)


def notices_for(*, portal: Portal, user: User, limit: int = 5) -> list[QuoteNotice]:
    return list(
        QuoteNotice.objects.filter(portal=portal, user=user, dismissed_at__isnull=True)
        .select_related("quote")
        .order_by("-created_at", "-id")[:limit]
    )


def quotes_due_for_reminder(now: dt.datetime | None = None) -> QuerySet[Quote]:
    """Published quotes whose reminder may be due (the service checks the portal's day)."""
    today = (now or hub_now()).date()
    return Quote.objects.filter(
        status=QuoteStatus.PUBLISHED,
        reminder_sent_at__isnull=True,
        expires_on__lte=today + dt.timedelta(days=REMINDER_DAYS_BEFORE_EXPIRY + 1),
    ).order_by("id")


def quotes_due_for_expiry(now: dt.datetime | None = None) -> QuerySet[Quote]:
    """Published quotes that may be over (the service checks the portal's time zone)."""
    today = (now or hub_now()).date()
    return Quote.objects.filter(
        status=QuoteStatus.PUBLISHED, expires_on__lte=today + dt.timedelta(days=1)
    ).order_by("id")
