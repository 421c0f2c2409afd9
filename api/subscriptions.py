"""/v1/subscriptions: read, pause, resume, cancel and re-quantify subscriptions through
the subscriptions tool's own selectors and services (subscriptions/services.py), which
lock the row against the billing run, refuse a change the state does not allow, record
it on the timeline (naming the API key) with its event, and e-mail the buyer.

A subscription is answered as its event snapshot (what `subscription.*` webhooks carry)
plus its `items`, whose ids name the lines whose quantities can be changed. No change
calls Stripe: the billing run charges what the subscription says from its next period.
A refusal of the service is a 400 whose `code` names the reason (a charge under way is
a 409: retrying later works).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import BeforeValidator, ConfigDict, StrictBool, StrictInt, StrictStr

from commerce.catalog.models import BillingFrequency
from commerce.clock import hub_today
from commerce.events.catalogue import SAMPLE_OBJECTS
from commerce.events.services import snapshot
from commerce.ids import parse_id
from subscriptions import selectors, services
from subscriptions.models import Subscription, SubscriptionItem
from subscriptions.selectors import SubscriptionFilters

from .auth import api_key, require_scope
from .errors import (
    ERROR_RESPONSES,
    IDEMPOTENCY_HEADER,
    INVALID_REQUEST,
    POST_ERROR_RESPONSES,
    ApiError,
    invalid,
    not_found,
)
from .idempotency import idempotent
from .pagination import ListParams, page
from .payments import parse_time

router = Router(tags=["Subscriptions"])

MAX_QUANTITY = 10_000  # what the subscription page's items dialog accepts
_TIME = "ISO 8601 with a time zone (2026-01-31T00:00:00Z) or a date (2026-01-31, midnight UTC)."
_WHEN = "ISO 8601 in UTC, or null."

_ITEM_EXAMPLE = {
    "id": "311",
    "object": "subscription_item",
    "product": "17",
    "name": "Growth plan",
    "sku": "GROW-M",
    "quantity": 2,
    "unit_amount": 14900,
    "discount_percent": None,
    "discount_amount": None,
    "tax_rate": "0",
    "amount": 29800,
}
_EXAMPLE = {**SAMPLE_OBJECTS["subscription"], "items": [_ITEM_EXAMPLE]}


def _date_text(value: Any) -> Any:
    """Only a 'YYYY-MM-DD' string is a date here (pydantic alone would take numbers)."""
    if not isinstance(value, str):
        raise ValueError("Invalid next_billing_date: must be a date, YYYY-MM-DD.")
    return value


Day = Annotated[date, BeforeValidator(_date_text)]


class SubscriptionItemOut(Schema):
    id: str = Field(description="The item's id, to change its quantity.", examples=["311"])
    object: Literal["subscription_item"]
    product: str | None = Field(
        description="The library product it was copied from; null for a custom line.",
        examples=["17"],
    )
    name: str = Field(
        description="The line's name, as the buyer sees it.", examples=["Growth plan"]
    )
    sku: str = Field(examples=["GROW-M"])
    quantity: int = Field(examples=[2])
    unit_amount: int = Field(description="Per unit and period, integer cents.", examples=[14900])
    discount_percent: str | None = Field(
        description="A percentage off, as a decimal string; null for none.", examples=["10"]
    )
    discount_amount: int | None = Field(
        description="An amount off the line, integer cents; null for none.", examples=[None]
    )
    tax_rate: str = Field(description="Percent, as a decimal string.", examples=["8.25"])
    amount: int = Field(
        description="The line's total per period after discount and tax, integer cents.",
        examples=[29800],
    )


class SubscriptionOut(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    id: str = Field(description="The subscription's id (as in the app's URLs).", examples=["64"])
    object: Literal["subscription"]
    status: Subscription.Status = Field(
        description="scheduled (first charge ahead), active, past_due (a charge failed and "
        "is retried), paused, cancelled or completed (its term is over).",
        examples=["active"],
    )
    contact: str = Field(description="The buyer's contact id.", examples=["42"])
    checkout: str | None = Field(
        description="The checkout that started it; null when made by hand.", examples=["518"]
    )
    amount: int = Field(
        description="Charged per period: the sum of the items, integer cents in `currency`.",
        examples=[29800],
    )
    currency: str = Field(description="Three-letter ISO code, lowercase.", examples=["usd"])
    billing_frequency: BillingFrequency = Field(
        description="How often it is charged: any frequency of the product library but one_time.",
        examples=["monthly"],
    )
    start_date: str = Field(
        description="First day of the first period, in the portal's time zone.",
    )
    next_billing_date: str | None = Field(
        description="When the next period is charged (portal's time zone); null when no "
        "charge is ahead.",
        examples=["2026-08-01"],
    )
    periods_billed: int = Field(examples=[1])
    term_periods: int | None = Field(
        description="Periods in the term; null: until cancelled.", examples=[12]
    )
    cancel_at_period_end: bool = Field(
        description="Whether it ends at the end of the current period.", examples=[False]
    )
    cancelled_at: str | None = Field(
        description=f"When it was cancelled (now or at period end). {_WHEN}", examples=[None]
    )
    ended_at: str | None = Field(description=f"When it stopped for good. {_WHEN}", examples=[None])
    created: str | None = Field(
        description="ISO 8601 in UTC.", examples=["2026-07-01T14:05:00+00:00"]
    )
    updated: str | None = Field(
        description="ISO 8601 in UTC.", examples=["2026-07-01T14:05:00+00:00"]
    )
    items: list[SubscriptionItemOut] = Field(description="The lines billed each period.")


class SubscriptionList(Schema):
    object: Literal["list"]
    data: list[SubscriptionOut]
    has_more: bool


class SubscriptionQuery(ListParams):
    status: Subscription.Status | None = Field(
        None, description="Only subscriptions in this status."
    )
    created_gte: str | None = Field(
        None,
        alias="created[gte]",
        description=f"Created at or after. {_TIME}",
    )
    created_lte: str | None = Field(
        None,
        alias="created[lte]",
        description=f"Created at or before. {_TIME}",
    )


class _Fields(Schema):
    model_config = ConfigDict(extra="forbid")


class ResumeIn(_Fields):
    next_billing_date: Day | None = Field(
        None,
        description="When to charge next (YYYY-MM-DD, the portal's time zone), after today. "
        "When absent, the date it had when paused, if that is still after today.",
        examples=["2026-09-01"],
    )


class CancelIn(_Fields):
    at_period_end: StrictBool = Field(
        False,
        description="true: no further charges and it ends when the current period does; "
        "false: it is cancelled now.",
        examples=[True],
    )


class ItemQuantityIn(_Fields):
    id: StrictStr = Field(description="An item id of this subscription.", examples=["311"])
    quantity: StrictInt = Field(
        ge=0, le=MAX_QUANTITY, description="The new quantity; 0 removes the item.", examples=[3]
    )


class ItemsIn(_Fields):
    items: list[ItemQuantityIn] = Field(
        min_length=1,
        max_length=100,
        description="The items whose quantity changes; the others stay as they are. "
        "Effective from the next period; at least one item must remain.",
        examples=[[{"id": "311", "quantity": 3}]],
    )


def _item(item: SubscriptionItem) -> dict[str, Any]:
    return {
        "id": str(item.pk),
        "object": "subscription_item",
        "product": str(item.product_id) if item.product_id else None,
        "name": item.name,
        "sku": item.sku,
        "quantity": item.quantity,
        "unit_amount": item.unit_amount,
        "discount_percent": _decimal(item.discount_percent),
        "discount_amount": item.discount_amount,
        "tax_rate": _decimal(item.tax_rate) or "0",
        "amount": item.amount,
    }


def _decimal(value: Any) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def _out(subscription: Subscription) -> dict[str, Any]:
    """The snapshot and the items (prefetched by the selectors used here)."""
    return {
        **snapshot(subscription)[1],
        "items": [_item(i) for i in selectors.subscription_items(subscription)],
    }


def _get(request: HttpRequest, subscription_id: str) -> Subscription:
    pk = parse_id(subscription_id)
    if pk is None:
        raise not_found("subscription", subscription_id)
    try:
        return selectors.subscription_for_detail(portal=api_key(request).portal, pk=pk)
    except Http404:
        raise not_found("subscription", subscription_id) from None


# The refusals that are about what a request gave, and the param they name.
_PARAMS = {
    "date_too_early": "next_billing_date",
    "nothing_changed": "items",
    "no_items_left": "items",
    "item_missing": "items",
    "amount_invalid": "items",
    "amount_too_large": "items",
}


def _refused(exc: services.ChangeRefused) -> ApiError:
    if exc.code == "billing_in_progress":
        return ApiError(409, INVALID_REQUEST, exc.code, str(exc))
    return invalid(str(exc), _PARAMS.get(exc.code), code=exc.code)


def _change(
    request: HttpRequest, subscription_id: str, action: str, new_date: date | None = None
) -> tuple[int, dict[str, Any]]:
    subscription = _get(request, subscription_id)
    portal = api_key(request).portal
    try:
        services.subscription_change(
            portal=portal,
            subscription_id=subscription.pk,
            action=action,
            new_date=new_date,
            actor=None,
            today=hub_today(portal.time_zone),
        )
    except services.ChangeRefused as exc:
        raise _refused(exc) from None
    return 200, _out(_get(request, subscription_id))


@router.get("", response={200: SubscriptionList, **ERROR_RESPONSES}, summary="List subscriptions")
def subscription_list(request: HttpRequest, filters: Query[SubscriptionQuery]) -> dict[str, Any]:
    """Newest first."""
    key = require_scope(request, "subscriptions:read")
    found = selectors.subscription_search(
        portal=key.portal, filters=SubscriptionFilters(status=filters.status or "")
    ).prefetch_related("items")
    if filters.created_gte is not None:
        found = found.filter(created_at__gte=parse_time(filters.created_gte, "created[gte]"))
    if filters.created_lte is not None:
        found = found.filter(created_at__lte=parse_time(filters.created_lte, "created[lte]"))
    return page(found, filters, _out)


@router.get(
    "/{subscription_id}",
    response={200: SubscriptionOut, **ERROR_RESPONSES},
    summary="Retrieve a subscription",
)
def subscription_retrieve(request: HttpRequest, subscription_id: str) -> dict[str, Any]:
    require_scope(request, "subscriptions:read")
    return _out(_get(request, subscription_id))


@router.post(
    "/{subscription_id}/pause",
    response={200: SubscriptionOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Pause a subscription",
)
def subscription_pause(request: HttpRequest, subscription_id: str) -> HttpResponse:
    """No charges (nor retries of a failed one) until it is resumed. Only an active or
    past-due subscription can be paused (`not_pausable`); no change is made within 2 days
    of a charge (`charge_due_soon`) or to an ended one (`subscription_ended`)."""
    require_scope(request, "subscriptions:write")
    return idempotent(request, lambda: _change(request, subscription_id, "pause"))


@router.post(
    "/{subscription_id}/resume",
    response={200: SubscriptionOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Resume a paused subscription",
)
def subscription_resume(
    request: HttpRequest, subscription_id: str, payload: ResumeIn | None = None
) -> HttpResponse:
    """Active again, next charged on `next_billing_date`. Only a paused subscription
    can be resumed (`not_paused`); the date must be after today (`date_too_early`)."""
    require_scope(request, "subscriptions:write")

    def run() -> tuple[int, dict[str, Any]]:
        new_date = payload.next_billing_date if payload else None
        if new_date is None:
            subscription = _get(request, subscription_id)
            kept = subscription.next_billing_date
            today = hub_today(api_key(request).portal.time_zone)
            if subscription.status == Subscription.Status.PAUSED and (
                kept is None or kept <= today
            ):
                raise invalid(
                    "Give next_billing_date: the subscription has no next billing date after today.",
                    "next_billing_date",
                    code="parameter_missing",
                )
            new_date = kept
        return _change(request, subscription_id, "resume", new_date)

    return idempotent(request, run)


@router.post(
    "/{subscription_id}/cancel",
    response={200: SubscriptionOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Cancel a subscription",
)
def subscription_cancel(
    request: HttpRequest, subscription_id: str, payload: CancelIn | None = None
) -> HttpResponse:
    """Now (status cancelled, no further charges) or, with `at_period_end`, when the
    current period ends. An ended subscription cannot be cancelled (`subscription_ended`),
    nor any changed within 2 days of a charge (`charge_due_soon`)."""
    require_scope(request, "subscriptions:write")
    action = "cancel_at_period_end" if payload and payload.at_period_end else "cancel_now"
    return idempotent(request, lambda: _change(request, subscription_id, action))


@router.post(
    "/{subscription_id}/items",
    response={200: SubscriptionOut, **POST_ERROR_RESPONSES},
    openapi_extra=IDEMPOTENCY_HEADER,
    summary="Change the quantities of a subscription's items",
)
def subscription_items_change(
    request: HttpRequest, subscription_id: str, payload: ItemsIn
) -> HttpResponse:
    """New quantities from the next period, each item at its unit price; the amount per
    period is priced again. Refused with `nothing_changed`, `no_items_left`,
    `amount_too_large` (more than a card is charged at once), and as any change."""
    require_scope(request, "subscriptions:write")

    def run() -> tuple[int, dict[str, Any]]:
        subscription = _get(request, subscription_id)
        items = {item.pk: item for item in selectors.subscription_items(subscription)}
        changes: dict[int, services.ItemChange] = {}
        for index, given in enumerate(payload.items):
            pk = parse_id(given.id)
            if pk is None or pk not in items:
                raise invalid(
                    f"No such item on this subscription: '{given.id}'.",
                    f"items[{index}][id]",
                    code="resource_missing",
                )
            if pk in changes:
                raise invalid(f"Item '{given.id}' is given twice.", f"items[{index}][id]")
            changes[pk] = services.ItemChange(
                item_id=pk, quantity=given.quantity, unit_amount=items[pk].unit_amount
            )
        portal = api_key(request).portal
        try:
            services.subscription_items_change(
                portal=portal,
                subscription_id=subscription.pk,
                changes=list(changes.values()),
                actor=None,
                today=hub_today(portal.time_zone),
            )
        except services.ChangeRefused as exc:
            raise _refused(exc) from None
        return 200, _out(_get(request, subscription_id))

    return idempotent(request, run)
