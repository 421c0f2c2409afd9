"""Reads of contacts. Every query starts from the portal."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from commerce.portals.access import for_portal, get_for_portal
from commerce.portals.models import Portal

from .models import Contact

PAGE_SIZE = 25


def contact_search(*, portal: Portal, search: str = "") -> QuerySet[Contact]:
    """Contacts of `portal`, newest first. Every word of `search` must appear in the first
    or last name, the e-mail or the company, so "maya brightpath" finds Maya at BrightPath."""
    contacts = for_portal(Contact.objects.all(), portal)
    for word in search.split():
        contacts = contacts.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(company__icontains=word)
        )
    return contacts.order_by("-created_at", "-id")


def contact_list_page(
    *, portal: Portal, search: str = "", page_number: str | int | None = 1
) -> Page:
    """One page of the contact list; a constant number of queries whatever its size."""
    return Paginator(contact_search(portal=portal, search=search), PAGE_SIZE).get_page(page_number)


def contact_get(*, portal: Portal, pk: int) -> Contact:
    """One contact of `portal`; another portal's is a 404."""
    return get_for_portal(Contact.objects.all(), portal, pk=pk)


def contact_with_email(
    *, portal: Portal, email: str, exclude_pk: int | None = None
) -> Contact | None:
    """The contact of `portal` with `email` (ignoring case), other than `exclude_pk`."""
    contacts = for_portal(Contact.objects.all(), portal).filter(email__iexact=email.strip())
    if exclude_pk is not None:
        contacts = contacts.exclude(pk=exclude_pk)
    return contacts.first()
