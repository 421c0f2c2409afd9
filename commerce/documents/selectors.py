"""Reads every kind of document does the same way: one page of a list, one document of
the portal or behind a buyer's token (else a 404), the contacts a document may be for."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404

from commerce import ids
from commerce.customers.models import Contact
from commerce.portals.access import for_portal
from commerce.portals.models import Portal

PAGE_SIZE = 25
M = TypeVar("M", bound=models.Model)
CONTACT_FIELDS = ("contact__email", "contact__first_name", "contact__last_name", "contact__company")


def search_documents(
    documents: QuerySet[M],
    search: str,
    *,
    number_in: Callable[[str], int | None],
    fields: Sequence[str] = (),
    **lookups: Any,
) -> QuerySet[M]:
    """`documents` that match each of `lookups` given (an empty or None value is not a
    filter) and in which every word of `search` appears in one of `fields` or in the
    contact's e-mail, name or company, or is the document's number (`number_in(word)`
    reads it; None when the word is not a number)."""
    documents = documents.filter(**{lookup: value for lookup, value in lookups.items() if value})
    for word in search.split():
        match = reduce(
            operator.or_, (Q(**{f"{name}__icontains": word}) for name in (*fields, *CONTACT_FIELDS))
        )
        number = number_in(word)
        if number is not None:
            match |= Q(number=number)
        documents = documents.filter(match)
    return documents


@dataclass(frozen=True)
class Listing:
    page: Page
    is_empty: bool  # the portal has no document of this kind at all


def list_page(
    documents: QuerySet[Any], *, portal: Portal, page_number: str | int | None
) -> Listing:
    """One page of `documents` (a search of the portal's): a constant number of queries
    whatever its size."""
    page = Paginator(documents, PAGE_SIZE).get_page(page_number)
    everything = for_portal(documents.model._default_manager.all(), portal)
    return Listing(page=page, is_empty=not page.object_list and not everything.exists())


def document_or_404(documents: QuerySet[M], **lookup: Any) -> M:
    """The one document `lookup` finds; an unknown or malformed id is a 404."""
    try:
        return documents.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404("Not found") from None


def document_for_token(documents: QuerySet[M], token: str) -> M:
    """The document behind a buyer's link: the unguessable token is the key. A token of
    the wrong shape is a 404 without a query."""
    if not ids.is_token(token):
        raise Http404("Not found")
    return document_or_404(documents, public_token=token)


def document_contacts(*, portal: Portal) -> QuerySet[Contact]:
    """Contacts a document of `portal` may be for, by name."""
    return for_portal(Contact.objects.all(), portal).order_by("first_name", "last_name", "email")
