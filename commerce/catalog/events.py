"""The product as events and webhooks show it (registered in CatalogConfig.ready())."""

from __future__ import annotations

from typing import Any

from .models import Product


def product_snapshot(product: Product) -> dict[str, Any]:
    return {
        "id": str(product.pk),
        "object": "product",
        "name": product.name,
        "sku": product.sku,
        "description": product.description,
        "unit_price": product.unit_price,
        "unit_cost": product.unit_cost,
        "currency": product.currency,
        "billing_frequency": product.billing_frequency,
        "term_periods": product.term_periods,
        "archived": product.archived,
        "created": product.created_at.isoformat() if product.created_at else None,
        "updated": product.updated_at.isoformat() if product.updated_at else None,
    }
