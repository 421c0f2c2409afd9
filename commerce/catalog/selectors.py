"""Reads of the product library. Every query starts from the portal."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from commerce.portals.access import for_portal, get_for_portal
from commerce.portals.models import Portal

from .models import Product

PAGE_SIZE = 25


def product_search(
    *, portal: Portal, search: str = "", frequency: str = "", include_archived: bool = False
) -> QuerySet[Product]:
    """Products of `portal` by name, in list order.

    Every word of `search` must appear in the name or the SKU (case-insensitive), so
    "growth plan" finds "Growth plan (annual)".
    """
    products = for_portal(Product.objects.all(), portal)
    if not include_archived:
        products = products.filter(archived=False)
    if frequency:
        products = products.filter(billing_frequency=frequency)
    for word in search.split():
        products = products.filter(Q(name__icontains=word) | Q(sku__icontains=word))
    return products.order_by("name", "id")


@dataclass(frozen=True)
class ProductListing:
    page: Page
    # True when the portal has no product at all (not even archived): the list then
    # explains how to start instead of showing an empty table.
    library_is_empty: bool


def product_list_page(
    *,
    portal: Portal,
    search: str = "",
    frequency: str = "",
    include_archived: bool = False,
    page_number: str | int | None = 1,
) -> ProductListing:
    """One page of the product list; a constant number of queries whatever its size."""
    products = product_search(
        portal=portal, search=search, frequency=frequency, include_archived=include_archived
    )
    page = Paginator(products, PAGE_SIZE).get_page(page_number)
    library_is_empty = (
        not page.object_list and not for_portal(Product.objects.all(), portal).exists()
    )
    return ProductListing(page=page, library_is_empty=library_is_empty)


def product_get(*, portal: Portal, pk: int) -> Product:
    """One product of `portal`, archived or not; another portal's is a 404."""
    return get_for_portal(Product.objects.all(), portal, pk=pk)


def product_sku_owner(*, portal: Portal, sku: str, exclude_pk: int | None = None) -> Product | None:
    """The product of `portal` that uses `sku` (case-insensitively), other than `exclude_pk`."""
    if not sku:
        return None
    products = for_portal(Product.objects.all(), portal).filter(sku__iexact=sku)
    if exclude_pk is not None:
        products = products.exclude(pk=exclude_pk)
    return products.only("id", "name", "sku").first()


def product_export_queryset(*, portal: Portal) -> QuerySet[Product]:
    """Every product of `portal`, archived ones included, in a stable order for export."""
    return for_portal(Product.objects.all(), portal).order_by("name", "id")
