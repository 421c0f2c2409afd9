"""/v1/contacts: the portal's buyers, validated by the contact form the pages use and
written by the same services."""

from __future__ import annotations

from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict, StrictStr

from commerce.customers import selectors, services
from commerce.customers.countries import DEFAULT_COUNTRY
from commerce.customers.forms import ContactForm
from commerce.customers.models import ADDRESS_PARTS, Contact
from commerce.events.services import snapshot
from commerce.ids import parse_id

from .auth import api_key, require_scope
from .errors import (
    ERROR_RESPONSES,
    IDEMPOTENCY_HEADER,
    POST_ERROR_RESPONSES,
    invalid,
    not_found,
)
from .idempotency import idempotent
from .pagination import ListParams, page

router = Router(tags=["Contacts"])


class Address(Schema):
    line1: str
    line2: str
    city: str
    state: str
    postal_code: str
    country: str = Field(description="ISO 3166-1 alpha-2 code, e.g. US.")


class ContactOut(Schema):
    id: str
    object: Literal["contact"]
    email: str
    first_name: str
    last_name: str
    company: str
    phone: str
    billing_address: Address
    shipping_address: Address
    created: str | None
    updated: str | None


class ContactList(Schema):
    object: Literal["list"]
    data: list[ContactOut]
    has_more: bool


class ContactFilters(ListParams):
    email: str | None = Field(
        None, max_length=254, description="Only the contact with this e-mail (any case)."
    )


class AddressIn(Schema):
    model_config = ConfigDict(extra="forbid")
    line1: StrictStr | None = None
    line2: StrictStr | None = None
    city: StrictStr | None = None
    state: StrictStr | None = None
    postal_code: StrictStr | None = None
    country: StrictStr | None = None


class ContactUpdate(Schema):
    model_config = ConfigDict(extra="forbid")
    email: StrictStr | None = None
    first_name: StrictStr | None = None
    last_name: StrictStr | None = None
    company: StrictStr | None = None
    phone: StrictStr | None = None
    billing_address: AddressIn | None = None
    shipping_address: AddressIn | None = None


class ContactCreate(ContactUpdate):
    email: StrictStr


def _out(contact: Contact) -> dict[str, Any]:
    return snapshot(contact)[1]


def _get(request: HttpRequest, contact_id: str) -> Contact:
    pk = parse_id(contact_id)
    if pk is None:
        raise not_found("contact", contact_id)
    try:
        return selectors.contact_get(portal=api_key(request).portal, pk=pk)
    except Http404:
        raise not_found("contact", contact_id) from None


def _flat(contact: Contact | None) -> dict[str, str]:
    """The form's fields: a new contact starts from the page's defaults."""
    names = ("email", *services.EDITABLE_FIELDS)
    if contact is not None:
        return {name: getattr(contact, name) for name in names}
    data = dict.fromkeys(names, "")
    data["billing_country"] = data["shipping_country"] = DEFAULT_COUNTRY
    return data


def _merge(data: dict[str, str], given: dict[str, Any]) -> dict[str, str]:
    for name, value in given.items():
        if name in {"billing_address", "shipping_address"}:
            kind = name.removesuffix("_address")
            for part, part_value in (value or {}).items():
                if part_value is not None:
                    data[f"{kind}_{part}"] = part_value
        elif value is None:
            raise invalid(f"{name} cannot be null.", name)
        else:
            data[name] = value
    return data


def _param(field: str) -> str:
    for kind in ("billing", "shipping"):
        if field.startswith(f"{kind}_") and field.removeprefix(f"{kind}_") in ADDRESS_PARTS:
            return f"{kind}_address[{field.removeprefix(f'{kind}_')}]"
    return field


def _validated(
    *, request: HttpRequest, data: dict[str, str], contact: Contact | None
) -> dict[str, str]:
    form = ContactForm(data, portal=api_key(request).portal, instance=contact)
    if form.is_valid():
        return form.contact_fields()
    field, errors = next(iter(form.errors.as_data().items()))
    error = errors[0]
    if error.code == "duplicate_email":
        raise invalid(
            "A contact with this e-mail already exists in this portal.",
            "email",
            code="duplicate_email",
        )
    message = " ".join(str(m) for m in error.messages)
    raise invalid(message, _param(field))


@router.get("", response={200: ContactList, **ERROR_RESPONSES}, summary="List contacts")
def contact_list(request: HttpRequest, filters: Query[ContactFilters]) -> dict[str, Any]:
    key = require_scope(request, "contacts:read")
    contacts = selectors.contact_search(portal=key.portal)
    if filters.email is not None:
        contacts = contacts.filter(email__iexact=services.normalize_email(filters.email))
    return page(contacts, filters, _out)


@router.post(
    "",
    response={200: ContactOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Create a contact",
)
def contact_create(request: HttpRequest, payload: ContactCreate) -> HttpResponse:
    key = require_scope(request, "contacts:write")

    def run() -> tuple[int, dict[str, Any]]:
        data = _merge(_flat(None), payload.model_dump(exclude_unset=True))
        fields = _validated(request=request, data=data, contact=None)
        return 200, _out(services.contact_create(portal=key.portal, **fields))

    return idempotent(request, run)


@router.get(
    "/{contact_id}", response={200: ContactOut, **ERROR_RESPONSES}, summary="Retrieve a contact"
)
def contact_retrieve(request: HttpRequest, contact_id: str) -> dict[str, Any]:
    require_scope(request, "contacts:read")
    return _out(_get(request, contact_id))


@router.post(
    "/{contact_id}",
    response={200: ContactOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Update a contact",
)
def contact_update(request: HttpRequest, contact_id: str, payload: ContactUpdate) -> HttpResponse:
    require_scope(request, "contacts:write")

    def run() -> tuple[int, dict[str, Any]]:
        contact = _get(request, contact_id)
        data = _merge(_flat(contact), payload.model_dump(exclude_unset=True))
        fields = _validated(request=request, data=data, contact=contact)
        return 200, _out(services.contact_update(contact=contact, **fields))

    return idempotent(request, run)
