"""/v1/payments: the ledger, read through the payments tool's selectors, refunded through
the same refund service as the payment page (which calls Stripe through the seam)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.dateparse import parse_date, parse_datetime
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict, StrictInt, StrictStr

from commerce.events.services import snapshot
from commerce.ids import parse_id, parse_int
from commerce.money import MAX_AMOUNT_CENTS, format_cents
from commerce.portals.access import for_portal
from payments.events import PAYMENT_SNAPSHOT_FIELDS, payment_snapshot
from payments.ledger import refunds, selectors
from payments.ledger.selectors import PaymentFilters
from payments.models import Payment, Refund

from .auth import api_key, require_scope
from .errors import (
    ERROR_RESPONSES,
    IDEMPOTENCY_HEADER,
    POST_ERROR_RESPONSES,
    invalid,
    not_found,
)
from .idempotency import HEADER, idempotent
from .pagination import ListParams, page
from .rendering import rendered

router = Router(tags=["Payments"])

_TIME = "ISO 8601 with a time zone (2026-01-31T00:00:00Z) or a date (2026-01-31, midnight UTC)."


class DisputeOut(Schema):
    id: str
    status: str
    reason: str
    amount: int | None
    due_by: str | None


class PaymentOut(Schema):
    id: str
    object: Literal["payment"]
    status: str
    amount: int = Field(description="Gross, integer cents in `currency`.")
    amount_refunded: int
    fee: int | None = Field(description="Stripe's fee in cents, once Stripe reports it.")
    net: int | None = Field(description="What the portal keeps: amount - fee - refunds.")
    currency: str
    source: str
    contact: str | None
    checkout: str | None
    card_brand: str
    card_last4: str
    stripe_payment_intent: str
    failure_code: str
    failure_message: str
    dispute: DisputeOut | None
    paid: str | None
    created: str | None


class PaymentList(Schema):
    object: Literal["list"]
    data: list[PaymentOut]
    has_more: bool


class PaymentQuery(ListParams):
    status: Payment.Status | None = Field(None, description="Only payments in this status.")
    created_gte: str | None = Field(
        None, alias="created[gte]", description=f"Created at or after. {_TIME}"
    )
    created_lte: str | None = Field(
        None, alias="created[lte]", description=f"Created at or before. {_TIME}"
    )


class RefundIn(Schema):
    model_config = ConfigDict(extra="forbid")
    amount: StrictInt | None = Field(
        None,
        ge=1,
        le=MAX_AMOUNT_CENTS,
        description="Integer cents; everything left to refund when absent.",
    )
    reason: Refund.Reason | None = None
    note: StrictStr = Field("", max_length=refunds.NOTE_MAX_LENGTH)


def parse_time(value: str, param: str) -> datetime:
    """An ISO 8601 datetime with its zone, or a date (midnight UTC): the shape of every
    `created` the API returns."""
    text = value.strip()
    try:
        day = parse_date(text)
        parsed = datetime.combine(day, time.min, tzinfo=UTC) if day else parse_datetime(text)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise invalid(f"{param} must be ISO 8601 with a time zone or a date. {_TIME}", param)
    return parsed


def _out(payment: Payment) -> dict[str, Any]:
    return snapshot(payment)[1]


def _get(request: HttpRequest, payment_id: str) -> Payment:
    pk = parse_id(payment_id)
    if pk is None:
        raise not_found("payment", payment_id)
    try:
        return selectors.payment_for_detail(portal=api_key(request).portal, pk=pk)
    except Http404:
        raise not_found("payment", payment_id) from None


def _rows(payments: QuerySet[Payment]) -> QuerySet[Payment, Any]:
    """`payments` as rows of what their snapshots read (payment_snapshot takes them): a
    page of 100 costs one query and no model instances."""
    return payments.select_related(None).values_list(*PAYMENT_SNAPSHOT_FIELDS, named=True)


# Resolved once, never evaluated itself (each use filters a copy): resolving the 22
# columns costs a retrieve more than its query does.
_SNAPSHOT_ROWS = _rows(Payment.objects.order_by())


@router.get("", response={200: PaymentList, **ERROR_RESPONSES}, summary="List payments")
def payment_list(request: HttpRequest, filters: Query[PaymentQuery]) -> HttpResponse:
    key = require_scope(request, "payments:read")
    found = selectors.payment_search(
        portal=key.portal, filters=PaymentFilters(status=filters.status or "")
    )
    if filters.created_gte is not None:
        found = found.filter(created_at__gte=parse_time(filters.created_gte, "created[gte]"))
    if filters.created_lte is not None:
        found = found.filter(created_at__lte=parse_time(filters.created_lte, "created[lte]"))
    return rendered(page(_rows(found), filters, payment_snapshot))


@router.get(
    "/{payment_id}", response={200: PaymentOut, **ERROR_RESPONSES}, summary="Retrieve a payment"
)
def payment_retrieve(request: HttpRequest, payment_id: str) -> HttpResponse:
    key = require_scope(request, "payments:read")
    pk = parse_id(payment_id)
    found = [] if pk is None else list(for_portal(_SNAPSHOT_ROWS.filter(pk=pk), key.portal))
    if not found:
        raise not_found("payment", payment_id)
    return rendered(payment_snapshot(found[0]))


def _attempt(request: HttpRequest) -> str:
    """The refund's token: from the Idempotency-Key when sent, so that a retry of the
    same request is the same refund at Stripe even if the hub never saw the answer."""
    key = request.headers.get(HEADER)
    if key is None:
        return str(uuid.uuid4())
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"api-key:{api_key(request).id}:{key}"))


@router.post(
    "/{payment_id}/refund",
    response={200: PaymentOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Refund a payment",
)
def payment_refund(request: HttpRequest, payment_id: str, payload: RefundIn) -> HttpResponse:
    """Refunds part or all of a completed payment through Stripe; answers the payment.
    A refund Stripe has not completed yet shows in `amount_refunded` once it has."""
    require_scope(request, "payments:write")

    def run() -> tuple[int, dict[str, Any]]:
        payment = _get(request, payment_id)
        left = refunds.refundable_now(payment)
        amount = payload.amount if payload.amount is not None else left
        if payload.amount is not None and parse_int(amount, minimum=1, maximum=left) is None:
            raise invalid(
                f"amount is more than is left to refund ({format_cents(left, payment.currency)}).",
                "amount",
                code="amount_too_large",
            )
        try:
            refunds.payment_refund(
                payment=payment,
                amount=amount,
                reason=payload.reason or "",
                note=payload.note,
                user=None,
                attempt=_attempt(request),
            )
        except refunds.RefundError as exc:
            raise invalid(str(exc), None, code="refund_refused") from None
        return 200, _out(_get(request, payment_id))

    return idempotent(request, run, atomic=False)
