"""What /v1/quotes and /v1/invoices share: a line as a client sends it (turned into the
editor's `LineInput` the way the editor's line row does), a line as the API shows it, the
list filters, the PDF response's description and the mapping of a document service's
refusal (`DocumentError`) to the one error shape.

A line names a product of the library (its name, SKU, description, price and billing are
the defaults of the line, as in the editor) or is a custom item with a name and a unit
price. Lines are copied onto the document when it is saved: later product edits never
change it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from ninja import Field, Schema
from pydantic import ConfigDict, StrictInt, StrictStr

from commerce.catalog.models import MAX_TERM_PERIODS, BillingFrequency, Product, is_recurring
from commerce.catalog.selectors import product_search
from commerce.customers.models import Contact
from commerce.documents.kinds import DocumentKind
from commerce.documents.lines import MAX_QUANTITY, DocumentError, LineInput, check_line
from commerce.documents.selectors import document_contacts
from commerce.ids import parse_id
from commerce.money import MAX_AMOUNT_CENTS
from commerce.portals.models import Portal

from .errors import ApiError, invalid
from .pagination import ListParams
from .payments import parse_time

M = TypeVar("M", bound=Model)

_TIME = "ISO 8601 with a time zone (2026-01-31T00:00:00Z) or a date (2026-01-31, midnight UTC)."

# A transition the document's status does not allow (publishing a published quote,
# voiding a paid invoice): Stripe answers these with a 400 `invalid_request_error` too.
INVALID_STATUS = "invalid_status"
# Content the service refuses (no lines when publishing, a total above the card limit).
DOCUMENT_REFUSED = "document_refused"


class DocumentLineOut(Schema):
    name: str
    sku: str
    description: str
    quantity: int
    unit_amount: int = Field(description="Integer cents, in the document's `currency`.")
    discount_percent: str | None = Field(
        description='A percentage off the line, as a decimal string ("12.50"); or '
        "`discount_amount`; both null: no discount."
    )
    discount_amount: int | None = Field(description="Integer cents off the line.")
    tax_rate: str = Field(description='A percentage, as a decimal string ("8.250").')
    billing_frequency: BillingFrequency
    term_periods: int | None = Field(description="Billing periods; null: until cancelled.")
    amount: int = Field(
        description="quantity x unit_amount, integer cents; discounts and tax are in the "
        "document's totals."
    )


class _Fields(Schema):
    model_config = ConfigDict(extra="forbid")


class DocumentLineIn(_Fields):
    """One line of an invoice: a product of the library, or a custom item."""

    product: StrictStr | None = Field(
        None,
        description="A product id (an active product of the library): its name, SKU, "
        "description, price and billing are the line's defaults. Absent: a custom item, "
        "with `name` and `unit_amount`.",
    )
    name: StrictStr | None = Field(None, min_length=1, max_length=200)
    description: StrictStr | None = Field(None, max_length=5000)
    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY)
    unit_amount: StrictInt | None = Field(
        None, ge=0, le=MAX_AMOUNT_CENTS, description="Integer cents; the product's price if absent."
    )
    discount_percent: Decimal | None = Field(
        None, ge=0, le=100, decimal_places=2, description="A percentage off the line."
    )
    discount_amount: StrictInt | None = Field(
        None,
        ge=0,
        le=MAX_AMOUNT_CENTS,
        description="Integer cents off the line (at most its amount); or discount_percent.",
    )
    tax_rate: Decimal | None = Field(
        None, ge=0, le=100, decimal_places=3, description="A percentage; 0 when absent."
    )


class QuoteLineIn(DocumentLineIn):
    """One line of a quote: an invoice bills once, a quote may offer recurring lines."""

    billing_frequency: BillingFrequency | None = Field(
        None, description="The product's billing when absent (one_time for a custom item)."
    )
    term_periods: StrictInt | None = Field(
        None,
        ge=1,
        le=MAX_TERM_PERIODS,
        description="How many periods a recurring line bills; null: until cancelled.",
    )


class CreatedFilters(ListParams):
    created_gte: str | None = Field(
        None, alias="created[gte]", description=f"Created at or after. {_TIME}"
    )
    created_lte: str | None = Field(
        None, alias="created[lte]", description=f"Created at or before. {_TIME}"
    )


def created_between(documents: QuerySet[M], filters: CreatedFilters) -> QuerySet[M]:
    if filters.created_gte is not None:
        documents = documents.filter(
            created_at__gte=parse_time(filters.created_gte, "created[gte]")
        )
    if filters.created_lte is not None:
        documents = documents.filter(
            created_at__lte=parse_time(filters.created_lte, "created[lte]")
        )
    return documents


PDF_RESPONSE = {
    "responses": {
        200: {
            "description": "The document as a PDF, the same file the hub's page downloads.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def contact_of(portal: Portal, contact_id: str | None) -> Contact | None:
    """The contact a document is for: one of the portal's, or a 400 on `contact`."""
    if contact_id is None:
        return None
    pk = parse_id(contact_id)
    contact = document_contacts(portal=portal).filter(pk=pk).first() if pk else None
    if contact is None:
        raise invalid(f"No such contact: '{contact_id}'.", "contact", code="resource_missing")
    return contact


def line_inputs(portal: Portal, lines: Sequence[DocumentLineIn]) -> list[LineInput]:
    """The editor's `LineInput`s of `lines`, checked as the editor's line rows check them
    (commerce.documents.forms.LineForm) and by the documents core's `check_line`, each
    refusal a 400 naming the line's param."""
    ids = [parse_id(line.product) if line.product is not None else None for line in lines]
    products = {
        product.pk: product
        for product in product_search(portal=portal).filter(
            pk__in=[pk for pk in ids if pk is not None]
        )
    }
    inputs = []
    for index, (line, pk) in enumerate(zip(lines, ids, strict=True)):
        param = f"lines[{index}]"
        product: Product | None = None
        if line.product is not None:
            product = products.get(pk) if pk is not None else None
            if product is None:
                raise invalid(
                    f"No such active product: '{line.product}'.",
                    f"{param}[product]",
                    code="resource_missing",
                )
        elif line.name is None:
            raise invalid(
                "Name the item, or give a product.", f"{param}[name]", "parameter_missing"
            )
        elif line.unit_amount is None:
            raise invalid(
                "Give the item's unit_amount, or a product.",
                f"{param}[unit_amount]",
                "parameter_missing",
            )
        if line.discount_percent is not None and line.discount_amount is not None:
            raise invalid(
                "Give one discount: discount_percent or discount_amount.",
                f"{param}[discount_amount]",
            )
        frequency, term = _billing(line, product, param)
        entered = LineInput(
            product=product,
            name=line.name if line.name is not None else product.name if product else "",
            sku=product.sku if product else "",
            description=line.description
            if line.description is not None
            else product.description
            if product
            else "",
            quantity=line.quantity,
            unit_amount=line.unit_amount
            if line.unit_amount is not None
            else product.unit_price
            if product
            else 0,
            discount_percent=line.discount_percent,
            discount_amount=line.discount_amount,
            tax_rate=line.tax_rate if line.tax_rate is not None else Decimal(0),
            billing_frequency=frequency,
            term_periods=term,
        )
        try:
            check_line(entered, label=f"Line {index + 1}")
        except DocumentError as exc:
            raise invalid(str(exc), param) from None
        inputs.append(entered)
    return inputs


def _billing(line: DocumentLineIn, product: Product | None, param: str) -> tuple[str, int | None]:
    """(billing frequency, term) of a line: what the quote line says, else its product's;
    an invoice's line is always one-time (its kind makes it so when it is stored)."""
    if not isinstance(line, QuoteLineIn):
        return BillingFrequency.ONE_TIME, None
    frequency: str
    term: int | None
    if line.billing_frequency is None:
        if product is None:
            frequency, term = BillingFrequency.ONE_TIME, line.term_periods
        else:
            frequency = product.billing_frequency
            term = line.term_periods if line.term_periods is not None else product.term_periods
    else:
        frequency, term = line.billing_frequency, line.term_periods
    if term is not None and not is_recurring(frequency):
        raise invalid("A one-time line has no term.", f"{param}[term_periods]")
    return frequency, term


def refused(
    kind: DocumentKind[Any, Any], document: Any, action: str, exc: DocumentError
) -> ApiError:
    """A document service's refusal as a 400: `invalid_status` when the document's status
    does not allow `action`, else `document_refused`; the message is the service's."""
    code = DOCUMENT_REFUSED if kind.allows(document, action) else INVALID_STATUS
    return invalid(str(exc), None, code=code)
