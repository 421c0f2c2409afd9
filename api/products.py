"""/v1/products: the product library, through the services the pages use."""

from __future__ import annotations

from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict, StrictInt, StrictStr

from commerce.catalog import selectors, services
from commerce.catalog.models import MAX_TERM_PERIODS, BillingFrequency, Product
from commerce.events.services import snapshot
from commerce.ids import parse_id
from commerce.money import MAX_AMOUNT_CENTS

from .auth import api_key, require_scope
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

router = Router(tags=["Products"])

Price = StrictInt
NAME = Field(min_length=1, max_length=200)


class ProductOut(Schema):
    id: str
    object: Literal["product"]
    name: str
    sku: str
    description: str
    unit_price: int = Field(description="Integer cents, in `currency`.")
    unit_cost: int | None
    currency: str
    billing_frequency: BillingFrequency
    term_periods: int | None
    archived: bool
    created: str | None
    updated: str | None


class ProductList(Schema):
    object: Literal["list"]
    data: list[ProductOut]
    has_more: bool


class ProductFilters(ListParams):
    archived: bool | None = Field(
        None,
        description="true: only archived products, false: only active ones; all when left out.",
    )


class _Fields(Schema):
    model_config = ConfigDict(extra="forbid")


class ProductCreate(_Fields):
    name: StrictStr = NAME
    unit_price: Price = Field(ge=0, le=MAX_AMOUNT_CENTS, description="Integer cents.")
    sku: StrictStr = Field("", max_length=64)
    description: StrictStr = ""
    unit_cost: Price | None = Field(None, ge=0, le=MAX_AMOUNT_CENTS)
    billing_frequency: BillingFrequency = BillingFrequency.ONE_TIME
    term_periods: StrictInt | None = Field(None, ge=1, le=MAX_TERM_PERIODS)


class ProductUpdate(_Fields):
    name: StrictStr | None = Field(None, min_length=1, max_length=200)
    unit_price: Price | None = Field(None, ge=0, le=MAX_AMOUNT_CENTS)
    sku: StrictStr | None = Field(None, max_length=64)
    description: StrictStr | None = None
    unit_cost: Price | None = Field(None, ge=0, le=MAX_AMOUNT_CENTS)
    billing_frequency: BillingFrequency | None = None
    term_periods: StrictInt | None = Field(None, ge=1, le=MAX_TERM_PERIODS)


def _out(product: Product) -> dict[str, Any]:
    return snapshot(product)[1]


def _get(request: HttpRequest, product_id: str) -> Product:
    pk = parse_id(product_id)
    if pk is None:
        raise not_found("product", product_id)
    try:
        return selectors.product_get(portal=api_key(request).portal, pk=pk)
    except Http404:
        raise not_found("product", product_id) from None


def _checked(
    fields: dict[str, Any], *, request: HttpRequest, product: Product | None = None
) -> dict[str, Any]:
    """What the product form checks beyond types; the services' constraints decide races."""
    if not fields["name"].strip():
        raise invalid("name must not be blank.", "name")
    if fields["billing_frequency"] == BillingFrequency.ONE_TIME and fields["term_periods"]:
        raise invalid("One-time products have no term.", "term_periods", code="term_on_one_time")
    sku = fields["sku"].strip()
    owner = selectors.product_sku_owner(
        portal=api_key(request).portal, sku=sku, exclude_pk=product.pk if product else None
    )
    if owner is not None:
        raise invalid(
            f"SKU “{sku}” is already used by product {owner.pk}.", "sku", code="duplicate_sku"
        )
    return fields


@router.get("", response={200: ProductList, **ERROR_RESPONSES}, summary="List products")
def product_list(request: HttpRequest, filters: Query[ProductFilters]) -> dict[str, Any]:
    key = require_scope(request, "products:read")
    products = selectors.product_search(portal=key.portal, include_archived=True)
    if filters.archived is not None:
        products = products.filter(archived=filters.archived)
    return page(products, filters, _out)


@router.post(
    "",
    response={200: ProductOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Create a product",
)
def product_create(request: HttpRequest, payload: ProductCreate) -> HttpResponse:
    key = require_scope(request, "products:write")

    def run() -> tuple[int, dict[str, Any]]:
        fields = _checked(payload.model_dump(), request=request)
        return 200, _out(services.product_create(portal=key.portal, **fields))

    return idempotent(request, run)


@router.get(
    "/{product_id}", response={200: ProductOut, **ERROR_RESPONSES}, summary="Retrieve a product"
)
def product_retrieve(request: HttpRequest, product_id: str) -> dict[str, Any]:
    require_scope(request, "products:read")
    return _out(_get(request, product_id))


@router.post(
    "/{product_id}",
    response={200: ProductOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Update a product",
)
def product_update(request: HttpRequest, product_id: str, payload: ProductUpdate) -> HttpResponse:
    require_scope(request, "products:write")

    def run() -> tuple[int, dict[str, Any]]:
        product = _get(request, product_id)
        current = {name: getattr(product, name) for name in ProductUpdate.model_fields}
        given = payload.model_dump(exclude_unset=True)
        refuse_nulls(given, nullable=("unit_cost", "term_periods"))
        fields = _checked({**current, **given}, request=request, product=product)
        return 200, _out(services.product_update(product=product, **fields))

    return idempotent(request, run)


@router.post(
    "/{product_id}/archive",
    response={200: ProductOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Archive a product",
)
def product_archive(request: HttpRequest, product_id: str) -> HttpResponse:
    """Hides the product from new quotes, invoices and payment links; idempotent."""
    require_scope(request, "products:write")

    def run() -> tuple[int, dict[str, Any]]:
        return 200, _out(services.product_archive(product=_get(request, product_id)))

    return idempotent(request, run)


@router.post(
    "/{product_id}/unarchive",
    response={200: ProductOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Unarchive a product",
)
def product_unarchive(request: HttpRequest, product_id: str) -> HttpResponse:
    require_scope(request, "products:write")

    def run() -> tuple[int, dict[str, Any]]:
        return 200, _out(services.product_unarchive(product=_get(request, product_id)))

    return idempotent(request, run)
