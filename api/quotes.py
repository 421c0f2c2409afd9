"""/v1/quotes: offers to a contact, through the services the quote builder uses.

A quote is created as a draft; an update (drafts only) replaces the fields it gives and,
with `lines`, every line. Publishing makes its buyer's page live. Its PDF is the file the
quote page downloads. Ids are the ones in the hub's quote URLs.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict, StrictBool, StrictInt, StrictStr

from commerce.documents.lines import MAX_LINES, copy_lines
from commerce.documents.views import pdf_response
from commerce.events.catalogue import SAMPLE_OBJECTS
from commerce.events.services import snapshot
from commerce.ids import parse_id
from commerce.money import MAX_AMOUNT_CENTS
from quotes import selectors, services
from quotes.kind import QUOTES, QuoteError
from quotes.models import Quote, QuoteStatus
from quotes.pdf import render_quote_pdf

from .auth import api_key, require_scope
from .documents import (
    DOCUMENT_REFUSED,
    PDF_RESPONSE,
    CreatedFilters,
    DocumentLineOut,
    QuoteLineIn,
    contact_of,
    created_between,
    line_inputs,
    refused,
)
from .errors import (
    ERROR_RESPONSES,
    IDEMPOTENCY_HEADER,
    POST_ERROR_RESPONSES,
    invalid,
    not_found,
    refuse_nulls,
)
from .idempotency import idempotent
from .pagination import page

router = Router(tags=["Quotes"])


class QuoteTransitions(Schema):
    published: str | None = Field(description="ISO 8601, UTC; null until it happens.")
    accepted: str | None
    declined: str | None
    expired: str | None
    paid: str | None


class QuoteOut(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [SAMPLE_OBJECTS["quote"]]})

    id: str
    object: Literal["quote"]
    number: str = Field(description="The quote's number, as printed: Q-0007.")
    title: str
    status: QuoteStatus
    contact: str | None = Field(description="The contact id the quote is for.")
    lines: list[DocumentLineOut]
    discount_percent: str | None = Field(
        description="A percentage off the whole quote, as a decimal string; or "
        "`discount_amount` (integer cents); both null: none."
    )
    discount_amount: int | None
    subtotal: int | None = Field(
        description="Integer cents in `currency`; the four totals are null while a draft's "
        "lines cannot be priced."
    )
    discount: int | None = Field(description="Line and quote discounts, integer cents.")
    tax: int | None
    total: int | None = Field(
        description="Due today: one-time lines and the first period of recurring ones."
    )
    currency: str
    expires_on: str = Field(description="ISO 8601 date: the buyer may answer until its end.")
    requires_payment: bool = Field(description="The buyer pays by card when accepting.")
    terms: str = Field(description="The terms the buyer accepts, as shown on the quote.")
    comments: str = Field(description="A note to the buyer, shown on the quote.")
    accepted_by: str = Field(description="The name the buyer signed with.")
    decline_reason: str
    payment: str | None = Field(description="The payment id once the buyer paid.")
    status_transitions: QuoteTransitions
    created: str | None
    updated: str | None


class QuoteList(Schema):
    object: Literal["list"]
    data: list[QuoteOut]
    has_more: bool


class QuoteFilters(CreatedFilters):
    status: QuoteStatus | None = Field(None, description="Only quotes in this status.")


class _Fields(Schema):
    model_config = ConfigDict(extra="forbid")


class QuoteUpdate(_Fields):
    title: StrictStr | None = Field(None, min_length=1, max_length=200)
    contact: StrictStr | None = Field(None, description="A contact id; null: nobody yet.")
    expires_on: date | None = Field(
        None, description="ISO 8601 date; the portal's default expiry when a quote is created."
    )
    requires_payment: StrictBool | None = Field(
        None, description="The buyer pays by card when accepting (true when created)."
    )
    discount_percent: Decimal | None = Field(
        None, ge=0, le=100, decimal_places=2, description="A percentage off the whole quote."
    )
    discount_amount: StrictInt | None = Field(
        None, ge=0, le=MAX_AMOUNT_CENTS, description="Integer cents off the whole quote."
    )
    terms: StrictStr | None = Field(
        None, max_length=20_000, description="The portal's default terms when created."
    )
    comments: StrictStr | None = Field(None, max_length=20_000)
    lines: list[QuoteLineIn] | None = Field(
        None, max_length=MAX_LINES, description="Replaces every line when given."
    )


class QuoteCreate(QuoteUpdate):
    title: StrictStr = Field(min_length=1, max_length=200)
    lines: list[QuoteLineIn] = Field([], max_length=MAX_LINES)


_NULLABLE = ("contact", "discount_percent", "discount_amount")
_FIELDS = (
    "title",
    "expires_on",
    "requires_payment",
    "discount_percent",
    "discount_amount",
    "terms",
    "comments",
)


def _out(quote: Quote) -> dict[str, Any]:
    return snapshot(quote)[1]


def _read(request: HttpRequest, pk: int) -> Quote:
    """The quote with its lines loaded, as its snapshot reads them."""
    quotes = selectors.quote_search(portal=api_key(request).portal).prefetch_related("lines")
    return quotes.get(pk=pk)


def _get(request: HttpRequest, quote_id: str) -> Quote:
    pk = parse_id(quote_id)
    if pk is None:
        raise not_found("quote", quote_id)
    try:
        return selectors.quote_get(portal=api_key(request).portal, pk=pk)
    except Http404:
        raise not_found("quote", quote_id) from None


def _discounts(given: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """One quote discount: giving one clears the other; giving both is a 400."""
    if given.get("discount_percent") is not None and given.get("discount_amount") is not None:
        raise invalid(
            "Give one quote discount: discount_percent or discount_amount.", "discount_amount"
        )
    if given.get("discount_percent") is not None:
        return {**current, **given, "discount_amount": None}
    if given.get("discount_amount") is not None:
        return {**current, **given, "discount_percent": None}
    return {**current, **given}


def _checked(fields: dict[str, Any]) -> dict[str, Any]:
    if not fields["title"].strip():
        raise invalid("title must not be blank.", "title")
    return fields


@router.get("", response={200: QuoteList, **ERROR_RESPONSES}, summary="List quotes")
def quote_list(request: HttpRequest, filters: Query[QuoteFilters]) -> dict[str, Any]:
    key = require_scope(request, "quotes:read")
    quotes = selectors.quote_search(portal=key.portal, status=filters.status or "")
    return page(created_between(quotes, filters).prefetch_related("lines"), filters, _out)


@router.post(
    "",
    response={200: QuoteOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Create a draft quote",
)
def quote_create(request: HttpRequest, payload: QuoteCreate) -> HttpResponse:
    """A new draft, numbered; publish it to send it to its buyer."""
    key = require_scope(request, "quotes:write")

    def run() -> tuple[int, dict[str, Any]]:
        portal = key.portal
        given = payload.model_dump(exclude_unset=True)
        refuse_nulls(given, nullable=_NULLABLE)
        defaults: dict[str, Any] = {
            "expires_on": services.default_expiry(portal=portal),
            "requires_payment": True,
            "discount_percent": None,
            "discount_amount": None,
            "terms": services.quote_settings_for(portal=portal).default_terms,
            "comments": "",
        }
        fields = _checked(_discounts({k: v for k, v in given.items() if k in _FIELDS}, defaults))
        contact = contact_of(portal, payload.contact)
        lines = line_inputs(portal, payload.lines)
        try:
            quote = services.quote_create(
                portal=portal, actor=None, contact=contact, lines=lines, **fields
            )
        except QuoteError as exc:
            raise invalid(str(exc), None, code=DOCUMENT_REFUSED) from None
        return 200, _out(_read(request, quote.pk))

    return idempotent(request, run)


@router.get("/{quote_id}", response={200: QuoteOut, **ERROR_RESPONSES}, summary="Retrieve a quote")
def quote_retrieve(request: HttpRequest, quote_id: str) -> dict[str, Any]:
    require_scope(request, "quotes:read")
    return _out(_read(request, _get(request, quote_id).pk))


@router.post(
    "/{quote_id}",
    response={200: QuoteOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Update a draft quote",
)
def quote_update(request: HttpRequest, quote_id: str, payload: QuoteUpdate) -> HttpResponse:
    """Only a draft can change (`invalid_status` otherwise). Fields left out keep their
    value; `lines` replaces every line."""
    require_scope(request, "quotes:write")

    def run() -> tuple[int, dict[str, Any]]:
        quote = _get(request, quote_id)
        portal = quote.portal
        given = payload.model_dump(exclude_unset=True)
        refuse_nulls(given, nullable=_NULLABLE)
        current = {name: getattr(quote, name) for name in _FIELDS}
        fields = _checked(_discounts({k: v for k, v in given.items() if k in _FIELDS}, current))
        contact = contact_of(portal, payload.contact) if "contact" in given else quote.contact
        if payload.lines is not None:
            lines = line_inputs(portal, payload.lines)
        else:
            lines = copy_lines(quote.lines.select_related("product"))
        try:
            services.quote_update(
                quote=quote,
                actor=None,
                contact=contact,
                owner=quote.owner,
                lines=lines,
                **fields,
            )
        except QuoteError as exc:
            raise refused(QUOTES, quote, "edit", exc) from None
        return 200, _out(_read(request, quote.pk))

    return idempotent(request, run)


@router.post(
    "/{quote_id}/publish",
    response={200: QuoteOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Publish a quote",
)
def quote_publish(request: HttpRequest, quote_id: str) -> HttpResponse:
    """draft → published: the buyer's page goes live. Needs a contact, at least one line
    and an expiry date not past; a quote that is not a draft is `invalid_status`."""
    require_scope(request, "quotes:write")

    def run() -> tuple[int, dict[str, Any]]:
        quote = _get(request, quote_id)
        try:
            services.quote_publish(quote=quote, actor=None)
        except QuoteError as exc:
            raise refused(QUOTES, quote, "publish", exc) from None
        return 200, _out(_read(request, quote.pk))

    return idempotent(request, run)


@router.get(
    "/{quote_id}/pdf",
    response=ERROR_RESPONSES,
    openapi_extra=PDF_RESPONSE,
    summary="Retrieve a quote's PDF",
)
def quote_pdf(request: HttpRequest, quote_id: str) -> HttpResponse:
    """The quote as a PDF (application/pdf), the file the quote page downloads."""
    require_scope(request, "quotes:read")
    pk = parse_id(quote_id)
    try:
        if pk is None:
            raise Http404
        quote = selectors.quote_detail(portal=api_key(request).portal, pk=pk)
    except Http404:
        raise not_found("quote", quote_id) from None
    return pdf_response(render_quote_pdf(quote), quote.display_number)
