"""/v1/invoices: bills to a contact, through the services the invoice editor and the
invoice page use.

An invoice is created as a draft (no number yet); an update (drafts only) replaces the
fields it gives and, with `lines`, every line. Finalizing numbers it and makes its
buyer's page live; then it can be sent, paid by hand, voided (without payments) or
marked uncollectible. Ids are the ones in the hub's invoice URLs.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict, StrictBool, StrictInt, StrictStr

from commerce import money
from commerce.documents.kinds import portal_today
from commerce.documents.lines import MAX_LINES, copy_lines
from commerce.documents.views import pdf_response
from commerce.events.catalogue import SAMPLE_OBJECTS
from commerce.events.services import snapshot
from commerce.ids import parse_id
from commerce.money import MAX_AMOUNT_CENTS
from invoices import emails, selectors, services
from invoices.kind import INVOICES, InvoiceError
from invoices.models import Invoice, InvoiceStatus, PaymentTerms
from invoices.pdf import render_invoice_pdf

from .auth import api_key, require_scope
from .documents import (
    DOCUMENT_REFUSED,
    PDF_RESPONSE,
    CreatedFilters,
    DocumentLineIn,
    DocumentLineOut,
    contact_of,
    created_between,
    line_inputs,
    refused,
)
from .errors import (
    ERROR_RESPONSES,
    IDEMPOTENCY_HEADER,
    POST_ERROR_RESPONSES,
    invalid,
    not_found,
    refuse_nulls,
)
from .idempotency import idempotent
from .pagination import page

router = Router(tags=["Invoices"])


class InvoiceTransitions(Schema):
    finalized: str | None = Field(description="ISO 8601, UTC; null until it happens.")
    paid: str | None
    voided: str | None
    marked_uncollectible: str | None


class InvoiceOut(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [SAMPLE_OBJECTS["invoice"]]})

    id: str
    object: Literal["invoice"]
    number: str | None = Field(description="As printed (INV-0042); null while a draft.")
    status: InvoiceStatus
    contact: str | None = Field(description="The contact id the invoice is for.")
    quote: str | None = Field(description="The quote id it was made from, if any.")
    lines: list[DocumentLineOut]
    subtotal: int = Field(description="Integer cents in `currency`.")
    discount: int
    tax: int
    total: int
    amount_paid: int
    amount_due: int = Field(description="0 while a draft and once void.")
    currency: str
    issue_date: str = Field(description="ISO 8601 date.")
    payment_terms: PaymentTerms = Field(description="How the due date was set.")
    due_date: str = Field(description="ISO 8601 date.")
    memo: str = Field(description="Printed on the invoice.")
    sent: str | None = Field(description="When it was last e-mailed to its contact.")
    status_transitions: InvoiceTransitions
    created: str | None
    updated: str | None


class InvoiceList(Schema):
    object: Literal["list"]
    data: list[InvoiceOut]
    has_more: bool


class InvoiceFilters(CreatedFilters):
    status: InvoiceStatus | None = Field(None, description="Only invoices in this status.")


class _Fields(Schema):
    model_config = ConfigDict(extra="forbid")


class InvoiceUpdate(_Fields):
    contact: StrictStr | None = Field(None, description="A contact id; null: nobody yet.")
    issue_date: date | None = Field(
        None, description="ISO 8601 date; today in the portal's time zone when created."
    )
    payment_terms: PaymentTerms | None = Field(
        None, description="The due date counts from the issue date (net_30 when created)."
    )
    due_date: date | None = Field(
        None, description="ISO 8601 date, with payment_terms `custom` only."
    )
    memo: StrictStr | None = Field(
        None, max_length=20_000, description="The portal's default memo when created."
    )
    above_card_limit: StrictBool | None = Field(
        None,
        description="Issue a total above the card limit: the buyer pays by bank transfer "
        "or cheque. Refused otherwise.",
    )
    lines: list[DocumentLineIn] | None = Field(
        None, max_length=MAX_LINES, description="Replaces every line when given."
    )


class InvoiceCreate(InvoiceUpdate):
    lines: list[DocumentLineIn] = Field([], max_length=MAX_LINES)


class SendIn(_Fields):
    message: StrictStr = Field("", max_length=4000, description="Added to the e-mail.")


class ReasonIn(_Fields):
    reason: StrictStr = Field("", max_length=500, description="Kept on the timeline.")


class ManualPaymentIn(_Fields):
    amount: StrictInt = Field(
        ge=1, le=MAX_AMOUNT_CENTS, description="Integer cents, at most the amount due."
    )
    method: Literal["cash", "cheque", "bank_transfer", "other"]
    paid_on: date | None = Field(
        None, description="ISO 8601 date, not in the future; today when absent."
    )
    reference: StrictStr = Field("", max_length=200, description="A cheque number, a bank ref.")


def _out(invoice: Invoice) -> dict[str, Any]:
    return snapshot(invoice)[1]


def _read(request: HttpRequest, pk: int) -> Invoice:
    """The invoice with its lines loaded, as its snapshot reads them."""
    invoices = selectors.invoice_search(portal=api_key(request).portal)
    return invoices.prefetch_related("lines").get(pk=pk)


def _get(request: HttpRequest, invoice_id: str) -> Invoice:
    pk = parse_id(invoice_id)
    if pk is None:
        raise not_found("invoice", invoice_id)
    try:
        return selectors.invoice_get(portal=api_key(request).portal, pk=pk)
    except Http404:
        raise not_found("invoice", invoice_id) from None


def _dates(fields: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The due date is the terms' unless they are `custom`, which needs one."""
    if fields["payment_terms"] != PaymentTerms.CUSTOM:
        if given.get("due_date") is not None:
            raise invalid(
                "due_date is set by payment_terms; give payment_terms `custom` to choose it.",
                "due_date",
            )
        return {**fields, "due_date": None}
    if fields["due_date"] is None:
        raise invalid("Choose the due_date of `custom` payment terms.", "due_date")
    if fields["due_date"] < fields["issue_date"]:
        raise invalid("The due date cannot be before the issue date.", "due_date")
    return fields


@router.get("", response={200: InvoiceList, **ERROR_RESPONSES}, summary="List invoices")
def invoice_list(request: HttpRequest, filters: Query[InvoiceFilters]) -> dict[str, Any]:
    key = require_scope(request, "invoices:read")
    invoices = selectors.invoice_search(portal=key.portal, status=filters.status or "")
    return page(created_between(invoices, filters).prefetch_related("lines"), filters, _out)


@router.post(
    "",
    response={200: InvoiceOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Create a draft invoice",
)
def invoice_create(request: HttpRequest, payload: InvoiceCreate) -> HttpResponse:
    """A new draft; it gets its number when finalized."""
    key = require_scope(request, "invoices:write")

    def run() -> tuple[int, dict[str, Any]]:
        portal = key.portal
        given = payload.model_dump(exclude_unset=True)
        refuse_nulls(given, nullable=("contact",))
        defaults: dict[str, Any] = {
            "issue_date": portal_today(portal),
            "payment_terms": PaymentTerms.NET_30,
            "due_date": None,
            "memo": services.invoice_settings_for(portal=portal).default_memo,
            "above_card_limit": False,
        }
        fields = _dates({**defaults, **given}, given)
        fields.pop("lines", None)
        fields.pop("contact", None)
        contact = contact_of(portal, payload.contact)
        lines = line_inputs(portal, payload.lines)
        try:
            invoice = services.invoice_create(
                portal=portal, actor=None, contact=contact, lines=lines, **fields
            )
        except InvoiceError as exc:
            raise invalid(str(exc), None, code=DOCUMENT_REFUSED) from None
        return 200, _out(_read(request, invoice.pk))

    return idempotent(request, run)


@router.get(
    "/{invoice_id}", response={200: InvoiceOut, **ERROR_RESPONSES}, summary="Retrieve an invoice"
)
def invoice_retrieve(request: HttpRequest, invoice_id: str) -> dict[str, Any]:
    require_scope(request, "invoices:read")
    return _out(_read(request, _get(request, invoice_id).pk))


@router.post(
    "/{invoice_id}",
    response={200: InvoiceOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Update a draft invoice",
)
def invoice_update(request: HttpRequest, invoice_id: str, payload: InvoiceUpdate) -> HttpResponse:
    """Only a draft can change (`invalid_status` otherwise). Fields left out keep their
    value; `lines` replaces every line."""
    require_scope(request, "invoices:write")

    def run() -> tuple[int, dict[str, Any]]:
        invoice = _get(request, invoice_id)
        portal = invoice.portal
        given = payload.model_dump(exclude_unset=True)
        refuse_nulls(given, nullable=("contact",))
        current: dict[str, Any] = {
            "issue_date": invoice.issue_date,
            "payment_terms": invoice.payment_terms,
            "due_date": invoice.due_date,
            "memo": invoice.memo,
            "above_card_limit": money.over_card_limit(invoice.total),
        }
        fields = _dates({**current, **given}, given)
        fields.pop("lines", None)
        fields.pop("contact", None)
        contact = contact_of(portal, payload.contact) if "contact" in given else invoice.contact
        if payload.lines is not None:
            lines = line_inputs(portal, payload.lines)
        else:
            lines = copy_lines(invoice.lines.select_related("product"))
        try:
            services.invoice_update(
                invoice=invoice, actor=None, contact=contact, lines=lines, **fields
            )
        except InvoiceError as exc:
            raise refused(INVOICES, invoice, "edit", exc) from None
        return 200, _out(_read(request, invoice.pk))

    return idempotent(request, run)


def _act(request: HttpRequest, invoice_id: str, action: str, do: Any) -> HttpResponse:
    """Runs one transition of the invoice (`do(invoice)`, a service call) and answers the
    invoice; a refusal is a 400 (`invalid_status` when its status does not allow it)."""
    require_scope(request, "invoices:write")

    def run() -> tuple[int, dict[str, Any]]:
        invoice = _get(request, invoice_id)
        try:
            do(invoice)
        except InvoiceError as exc:
            raise refused(INVOICES, invoice, action, exc) from None
        return 200, _out(_read(request, invoice.pk))

    return idempotent(request, run)


@router.post(
    "/{invoice_id}/finalize",
    response={200: InvoiceOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Finalize an invoice",
)
def invoice_finalize(request: HttpRequest, invoice_id: str) -> HttpResponse:
    """draft → open (or past due when its due date has passed): numbers it, makes its
    buyer's page live and locks it. Needs a contact and lines totalling more than 0."""
    return _act(
        request,
        invoice_id,
        "finalize",
        lambda invoice: services.invoice_finalize(invoice=invoice, actor=None),
    )


@router.post(
    "/{invoice_id}/send",
    response={200: InvoiceOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Send an invoice",
)
def invoice_send(
    request: HttpRequest, invoice_id: str, payload: SendIn | None = None
) -> HttpResponse:
    """E-mails a finalized invoice to its contact with its PDF and the link to its page;
    sending again is a resend."""
    return _act(
        request,
        invoice_id,
        "send",
        lambda invoice: emails.invoice_send(
            invoice=invoice, actor=None, message=payload.message if payload else ""
        ),
    )


@router.post(
    "/{invoice_id}/void",
    response={200: InvoiceOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Void an invoice",
)
def invoice_void(
    request: HttpRequest, invoice_id: str, payload: ReasonIn | None = None
) -> HttpResponse:
    """An open, past due or uncollectible invoice without payments → void."""
    return _act(
        request,
        invoice_id,
        "void",
        lambda invoice: services.invoice_void(
            invoice=invoice, actor=None, reason=payload.reason if payload else ""
        ),
    )


@router.post(
    "/{invoice_id}/mark_uncollectible",
    response={200: InvoiceOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Mark an invoice uncollectible",
)
def invoice_mark_uncollectible(
    request: HttpRequest, invoice_id: str, payload: ReasonIn | None = None
) -> HttpResponse:
    """An open, partially paid or past due invoice → uncollectible: reminders stop."""
    return _act(
        request,
        invoice_id,
        "mark_uncollectible",
        lambda invoice: services.invoice_mark_uncollectible(
            invoice=invoice, actor=None, reason=payload.reason if payload else ""
        ),
    )


@router.post(
    "/{invoice_id}/payments",
    response={200: InvoiceOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Record a manual payment",
)
def invoice_record_payment(
    request: HttpRequest, invoice_id: str, payload: ManualPaymentIn
) -> HttpResponse:
    """Money received by hand (cash, cheque, bank transfer, other) on a finalized invoice,
    at most the amount due; answers the invoice with its new amounts and status."""
    return _act(
        request,
        invoice_id,
        "record_payment",
        lambda invoice: services.invoice_record_payment(
            invoice=invoice,
            actor=None,
            method=payload.method,
            amount=payload.amount,
            paid_on=payload.paid_on or portal_today(invoice.portal),
            reference=payload.reference,
        ),
    )


@router.get(
    "/{invoice_id}/pdf",
    response=ERROR_RESPONSES,
    openapi_extra=PDF_RESPONSE,
    summary="Retrieve an invoice's PDF",
)
def invoice_pdf(request: HttpRequest, invoice_id: str) -> HttpResponse:
    """The invoice as a PDF (application/pdf), the file the invoice page downloads."""
    require_scope(request, "invoices:read")
    pk = parse_id(invoice_id)
    try:
        if pk is None:
            raise Http404
        invoice = selectors.invoice_detail(portal=api_key(request).portal, pk=pk)
    except Http404:
        raise not_found("invoice", invoice_id) from None
    return pdf_response(render_invoice_pdf(invoice), invoice.display_number)
