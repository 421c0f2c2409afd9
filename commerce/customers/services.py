"""Writes of contacts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from commerce.events.services import event_record
from commerce.portals.models import Portal

from .models import ADDRESS_PARTS, Contact

EDITABLE_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "phone",
    *(f"billing_{part}" for part in ADDRESS_PARTS),
    *(f"shipping_{part}" for part in ADDRESS_PARTS),
)
_EMAIL_CONSTRAINT = "contact_unique_email_per_portal"


def normalize_email(email: str) -> str:
    """Stored form of an e-mail: trimmed and lower-cased, so uniqueness ignores case."""
    return email.strip().lower()


def _check_fields(fields: dict[str, str]) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown contact fields: {', '.join(sorted(unknown))}")


def _save(contact: Contact, **save_kwargs: object) -> None:
    """Two people adding the same e-mail at once: the form checked, the constraint decides."""
    try:
        with transaction.atomic():
            contact.save(**save_kwargs)  # type: ignore[arg-type]
    except IntegrityError as exc:
        if _EMAIL_CONSTRAINT not in str(exc):
            raise
        raise ValidationError(
            {"email": "A contact with this e-mail already exists in this portal."},
            code="duplicate_email",
        ) from None


@transaction.atomic
def contact_create(*, portal: Portal, email: str, **fields: str) -> Contact:
    """Adds a buyer to the portal. `fields` are any of EDITABLE_FIELDS.

    Raises ValidationError when the e-mail is already a contact of the portal."""
    _check_fields(fields)
    contact = Contact(portal=portal, email=normalize_email(email), **fields)
    _save(contact)
    event_record(portal=portal, type="contact.created", obj=contact)
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, email: str, **fields: str) -> Contact:
    """Changes a contact (locked for the update). `fields` are any of EDITABLE_FIELDS.
    Records `contact.updated` when something changed."""
    _check_fields(fields)
    locked = Contact.objects.select_for_update().get(pk=contact.pk, portal_id=contact.portal_id)
    new = {"email": normalize_email(email), **fields}
    changed = any(getattr(locked, name) != value for name, value in new.items())
    for name, value in new.items():
        setattr(locked, name, value)
    _save(locked, update_fields=["email", *fields, "updated_at"])
    if changed:
        event_record(portal=locked.portal_id, type="contact.updated", obj=locked)
    return locked
