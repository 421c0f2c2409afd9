"""What an API key may do: `<resource>:read` or `<resource>:write` per resource.

A write scope does not imply the read scope: a key is given exactly what it lists.
"""

from __future__ import annotations

RESOURCES = (
    "products",
    "contacts",
    "payment_links",
    "quotes",
    "invoices",
    "payments",
    "subscriptions",
    "events",
    "webhook_endpoints",
)
ACCESS = ("read", "write")
SCOPES = tuple(f"{resource}:{access}" for resource in RESOURCES for access in ACCESS)


def is_scope(value: object) -> bool:
    return isinstance(value, str) and value in SCOPES
