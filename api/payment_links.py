"""/v1/payment_links: shareable checkout links, through the services the link editor uses.

Lines are given as products of the library (copied into the link when it is saved, as
the editor does) with a quantity and optionally their own price or one discount. An
update without `lines` keeps the link's lines as they are; with `lines` it replaces them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import AwareDatetime, ConfigDict, StrictBool, StrictInt, StrictStr

from commerce.catalog.models import Product
from commerce.clock import hub_now
from commerce.events.services import snapshot
from commerce.ids import parse_id
from commerce.money import MAX_AMOUNT_CENTS
from payments.links import services
from payments.links.forms import MAX_QUANTITY
from payments.links.services import MAX_LINES, LineSpec
from payments.models import PaymentLink

from .auth import api_key, require_scope
from .documents import DocumentLineOut
from .errors import (
    ERROR_RESPONSES,
    IDEMPOTENCY_HEADER,
    POST_ERROR_RESPONSES,
    invalid,
    not_found,
    refuse_nulls,
)
from .idempotency import idempotent
from .pagination import ListParams, page

router = Router(tags=["Payment links"])

Quantity = Field(ge=1, le=MAX_QUANTITY)


class PaymentLinkOut(Schema):
    id: str
    object: Literal["payment_link"]
    name: str
    url: str = Field(description="The public checkout page to send buyers to.")
    active: bool
    status: Literal["active", "inactive", "expired", "used_up"]
    lines: list[DocumentLineOut]
    total: int = Field(description="Due today, integer cents in `currency`.")
    currency: str
    created: str | None
    updated: str | None


class PaymentLinkList(Schema):
    object: Literal["list"]
    data: list[PaymentLinkOut]
    has_more: bool


class PaymentLinkFilters(ListParams):
    active: bool | None = Field(
        None, description="true: only active links, false: only deactivated ones; all if absent."
    )


class _Fields(Schema):
    model_config = ConfigDict(extra="forbid")


class LineIn(_Fields):
    product: StrictStr = Field(description="A product id (an active product of the library).")
    quantity: StrictInt = Quantity
    unit_amount: StrictInt | None = Field(
        None, ge=0, le=MAX_AMOUNT_CENTS, description="Integer cents; the product's price if absent."
    )
    discount_percent: Decimal | None = Field(None, ge=0, le=100, decimal_places=2)
    discount_amount: StrictInt | None = Field(None, ge=0, le=MAX_AMOUNT_CENTS)


class PaymentLinkUpdate(_Fields):
    name: StrictStr | None = Field(None, min_length=1, max_length=200)
    lines: list[LineIn] | None = Field(
        None, min_length=1, max_length=MAX_LINES, description="Replaces every line when given."
    )
    allow_quantity_change: StrictBool | None = None
    min_quantity: StrictInt | None = Field(None, ge=1, le=MAX_QUANTITY)
    max_quantity: StrictInt | None = Field(None, ge=1, le=MAX_QUANTITY)
    collect_billing_address: StrictBool | None = None
    collect_shipping_address: StrictBool | None = None
    collect_phone: StrictBool | None = None
    single_use: StrictBool | None = None
    expires_at: AwareDatetime | None = Field(
        None, description="ISO 8601 with a time zone; the link stops working then. null: never."
    )
    max_payments: StrictInt | None = Field(
        None, ge=1, le=1_000_000, description="How many payments in all; null for no limit."
    )


class PaymentLinkCreate(PaymentLinkUpdate):
    name: StrictStr = Field(min_length=1, max_length=200)
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)


_DEFAULTS: dict[str, Any] = {
    "allow_quantity_change": False,
    "min_quantity": 1,
    "max_quantity": 10,
    "collect_billing_address": False,
    "collect_shipping_address": False,
    "collect_phone": False,
    "single_use": False,
    "expires_at": None,
    "max_payments": None,
}
_NULLABLE = {"expires_at", "max_payments"}


def _out(link: PaymentLink) -> dict[str, Any]:
    return snapshot(link)[1]


def _read(request: HttpRequest, pk: int) -> PaymentLink:
    """The link with its uses and lines loaded, as its snapshot reads them."""
    links = services.link_list(portal=api_key(request).portal).prefetch_related("lines")
    return links.get(pk=pk)


def _get(request: HttpRequest, link_id: str) -> PaymentLink:
    pk = parse_id(link_id)
    if pk is None:
        raise not_found("payment link", link_id)
    try:
        return services.link_get(portal=api_key(request).portal, pk=pk)
    except Http404:
        raise not_found("payment link", link_id) from None


def _specs(request: HttpRequest, lines: list[LineIn]) -> list[LineSpec]:
    """The editor's line specs; every product must be an active one of this portal."""
    ids = [parse_id(line.product) for line in lines]
    known = set(
        Product.objects.for_portal(api_key(request).portal)
        .filter(pk__in=[pk for pk in ids if pk is not None], archived=False)
        .values_list("pk", flat=True)
    )
    specs = []
    for index, (line, pk) in enumerate(zip(lines, ids, strict=True)):
        if pk is None or pk not in known:
            raise invalid(
                f"No such active product: '{line.product}'.",
                f"lines[{index}][product]",
                code="resource_missing",
            )
        if line.discount_percent is not None and line.discount_amount is not None:
            raise invalid(
                "Give one discount: discount_percent or discount_amount.",
                f"lines[{index}][discount_amount]",
            )
        specs.append(
            LineSpec(
                product_id=pk,
                quantity=line.quantity,
                unit_amount=line.unit_amount,
                discount_percent=line.discount_percent,
                discount_amount=line.discount_amount,
            )
        )
    return specs


def _kept_lines(link: PaymentLink) -> list[LineSpec]:
    return [
        LineSpec(
            line_id=line.pk,
            quantity=line.quantity,
            unit_amount=line.unit_amount,
            discount_percent=line.discount_percent,
            discount_amount=line.discount_amount,
        )
        for line in services.link_lines(link=link)
    ]


def _checked(fields: dict[str, Any], *, changed_expiry: bool) -> dict[str, Any]:
    """What the editor's form checks beyond types."""
    if not fields["name"].strip():
        raise invalid("name must not be blank.", "name")
    if fields["max_quantity"] < fields["min_quantity"]:
        raise invalid("max_quantity must be at least min_quantity.", "max_quantity")
    expires_at: datetime | None = fields["expires_at"]
    if changed_expiry and expires_at is not None and expires_at <= hub_now():
        raise invalid("expires_at has passed: the link would never work.", "expires_at")
    return fields


def _saved(save: Any) -> PaymentLink:
    """Runs a service; what it refuses is about the lines (quantities, totals)."""
    try:
        link: PaymentLink = save()
    except ValidationError as exc:
        raise invalid(" ".join(exc.messages), "lines") from None
    return link


@router.get("", response={200: PaymentLinkList, **ERROR_RESPONSES}, summary="List payment links")
def payment_link_list(request: HttpRequest, filters: Query[PaymentLinkFilters]) -> dict[str, Any]:
    key = require_scope(request, "payment_links:read")
    links = services.link_list(portal=key.portal).prefetch_related("lines")
    if filters.active is not None:
        links = links.filter(active=filters.active)
    return page(links, filters, _out)


@router.post(
    "",
    response={200: PaymentLinkOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Create a payment link",
)
def payment_link_create(request: HttpRequest, payload: PaymentLinkCreate) -> HttpResponse:
    key = require_scope(request, "payment_links:write")

    def run() -> tuple[int, dict[str, Any]]:
        given = payload.model_dump(exclude_unset=True)
        given.pop("lines")
        refuse_nulls(given, nullable=_NULLABLE)
        fields = _checked({**_DEFAULTS, **given}, changed_expiry=True)
        specs = _specs(request, payload.lines)
        link = _saved(
            lambda: services.payment_link_create(
                portal=key.portal, user=None, lines=specs, **fields
            )
        )
        return 200, _out(_read(request, link.pk))

    return idempotent(request, run)


@router.get(
    "/{link_id}",
    response={200: PaymentLinkOut, **ERROR_RESPONSES},
    summary="Retrieve a payment link",
)
def payment_link_retrieve(request: HttpRequest, link_id: str) -> dict[str, Any]:
    require_scope(request, "payment_links:read")
    return _out(_read(request, _get(request, link_id).pk))


@router.post(
    "/{link_id}",
    response={200: PaymentLinkOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Update a payment link",
)
def payment_link_update(
    request: HttpRequest, link_id: str, payload: PaymentLinkUpdate
) -> HttpResponse:
    require_scope(request, "payment_links:write")

    def run() -> tuple[int, dict[str, Any]]:
        link = _get(request, link_id)
        given = payload.model_dump(exclude_unset=True)
        refuse_nulls(given, nullable=_NULLABLE)
        given.pop("lines", None)  # read from the payload below
        current = {name: getattr(link, name) for name in ("name", *_DEFAULTS)}
        fields = _checked(
            {**current, **given},
            changed_expiry="expires_at" in given and given["expires_at"] != link.expires_at,
        )
        specs = _specs(request, payload.lines) if payload.lines else _kept_lines(link)
        _saved(lambda: services.payment_link_update(link=link, lines=specs, **fields))
        return 200, _out(_read(request, link.pk))

    return idempotent(request, run)


def _set_active(request: HttpRequest, link_id: str, active: bool) -> HttpResponse:
    require_scope(request, "payment_links:write")

    def run() -> tuple[int, dict[str, Any]]:
        link = services.payment_link_set_active(link=_get(request, link_id), active=active)
        return 200, _out(_read(request, link.pk))

    return idempotent(request, run)


@router.post(
    "/{link_id}/deactivate",
    response={200: PaymentLinkOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Deactivate a payment link",
)
def payment_link_deactivate(request: HttpRequest, link_id: str) -> HttpResponse:
    """Buyers who open it are told it is no longer active; idempotent."""
    return _set_active(request, link_id, False)


@router.post(
    "/{link_id}/reactivate",
    response={200: PaymentLinkOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Reactivate a payment link",
)
def payment_link_reactivate(request: HttpRequest, link_id: str) -> HttpResponse:
    return _set_active(request, link_id, True)
