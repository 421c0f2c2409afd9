"""The contact as events and webhooks show it (registered in CustomersConfig.ready())."""

from __future__ import annotations

from typing import Any

from .models import ADDRESS_PARTS, Contact


def contact_snapshot(contact: Contact) -> dict[str, Any]:
    return {
        "id": str(contact.pk),
        "object": "contact",
        "email": contact.email,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "company": contact.company,
        "phone": contact.phone,
        "billing_address": {p: getattr(contact, f"billing_{p}") for p in ADDRESS_PARTS},
        "shipping_address": {p: getattr(contact, f"shipping_{p}") for p in ADDRESS_PARTS},
        "created": contact.created_at.isoformat() if contact.created_at else None,
        "updated": contact.updated_at.isoformat() if contact.updated_at else None,
    }
