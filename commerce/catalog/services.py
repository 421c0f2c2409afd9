"""Writes of the product library: create, update, archive, CSV import."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from commerce.events.services import event_record, event_record_many
from commerce.portals.models import Portal

from .csv_io import COLUMNS, CsvFileError, product_to_row, read_products_csv
from .forms import ProductImportForm
from .models import BillingFrequency, Product

_SKU_CONSTRAINT = "product_unique_sku_per_portal"
_EDITABLE = (
    "name",
    "sku",
    "description",
    "unit_price",
    "unit_cost",
    "billing_frequency",
    "term_periods",
)


@contextmanager
def _sku_conflicts_as_validation_error(sku: str) -> Iterator[None]:
    """Two people saving the same SKU at once: the form checked, the constraint decides."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        if _SKU_CONSTRAINT not in str(exc):
            raise
        raise ValidationError(
            {"sku": f"SKU “{sku}” is already used by another product."}, code="duplicate_sku"
        ) from None


@transaction.atomic
def product_create(
    *,
    portal: Portal,
    name: str,
    unit_price: int,
    sku: str = "",
    description: str = "",
    unit_cost: int | None = None,
    billing_frequency: str = BillingFrequency.ONE_TIME,
    term_periods: int | None = None,
    archived: bool = False,
) -> Product:
    """Adds a product to the portal's library. Raises ValidationError on a taken SKU."""
    product = Product(
        portal=portal,
        name=name,
        sku=sku.strip(),
        description=description,
        unit_price=unit_price,
        unit_cost=unit_cost,
        currency=portal.currency,
        billing_frequency=billing_frequency,
        term_periods=term_periods,
        archived=archived,
    )
    with _sku_conflicts_as_validation_error(product.sku):
        product.save()
    event_record(portal=portal, type="product.created", obj=product)
    return product


@transaction.atomic
def product_update(
    *,
    product: Product,
    name: str,
    unit_price: int,
    sku: str = "",
    description: str = "",
    unit_cost: int | None = None,
    billing_frequency: str = BillingFrequency.ONE_TIME,
    term_periods: int | None = None,
) -> Product:
    """Changes a product (locked for the update). Documents keep their own copies of lines,
    so a sent quote or invoice never changes with it."""
    locked = Product.objects.select_for_update().get(pk=product.pk, portal_id=product.portal_id)
    before = [getattr(locked, field) for field in _EDITABLE]
    locked.name = name
    locked.sku = sku.strip()
    locked.description = description
    locked.unit_price = unit_price
    locked.unit_cost = unit_cost
    locked.billing_frequency = billing_frequency
    locked.term_periods = term_periods
    with _sku_conflicts_as_validation_error(locked.sku):
        locked.save(update_fields=[*_EDITABLE, "updated_at"])
    if before != [getattr(locked, field) for field in _EDITABLE]:
        event_record(portal=locked.portal_id, type="product.updated", obj=locked)
    return locked


def _set_archived(product: Product, archived: bool) -> Product:
    locked = Product.objects.select_for_update().get(pk=product.pk, portal_id=product.portal_id)
    if locked.archived != archived:
        locked.archived = archived
        locked.save(update_fields=["archived", "updated_at"])
        event_type = "product.archived" if archived else "product.updated"
        event_record(portal=locked.portal_id, type=event_type, obj=locked)
    return locked


@transaction.atomic
def product_archive(*, product: Product) -> Product:
    """Hides the product from the list and from new documents; idempotent."""
    return _set_archived(product, True)


@transaction.atomic
def product_unarchive(*, product: Product) -> Product:
    """Brings an archived product back; idempotent."""
    return _set_archived(product, False)


# --- CSV import ---------------------------------------------------------------


class Progress(Protocol):
    def update(self, n: int = 1) -> object: ...

    def close(self) -> None: ...


ProgressFactory = Callable[[str, int], Progress]


class _NoProgress:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _no_progress(description: str, total: int) -> Progress:
    return _NoProgress()


class ProductImportError(Exception):
    """The file was refused and nothing was imported; `errors` are written for people."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class ProductImportResult:
    created: int
    updated: int

    @property
    def summary(self) -> str:
        return f"{self.created} created, {self.updated} updated"


@dataclass
class _ValidRow:
    product: Product | None
    data: dict[str, Any]


def _row_errors(number: int, form: ProductImportForm) -> list[str]:
    messages = []
    for field, errors in form.errors.as_data().items():
        for error in errors:
            text = " ".join(error.messages)
            # A SKU conflict names its column already; other messages need the column.
            if field == "__all__" or error.code == "duplicate_sku":
                messages.append(f"Row {number}: {text}")
            else:
                messages.append(f"Row {number} ({field}): {text}")
    return messages


BATCH_SIZE = 500


def product_import(
    *, portal: Portal, content: bytes, progress: ProgressFactory | None = None
) -> ProductImportResult:
    """Imports products from CSV bytes: all rows or none.

    Every row is validated first with `ProductImportForm` (the rules of the product
    page); a row whose SKU matches a product of the portal (ignoring case) updates it,
    other rows create products. Any error raises `ProductImportError` with every
    problem, row-numbered, and changes nothing. The portal's products are locked
    (`select_for_update`) for the whole import so the SKU matching stays true.
    """
    make_progress = progress or _no_progress
    try:
        rows = read_products_csv(content)
    except CsvFileError as exc:
        raise ProductImportError([str(exc)]) from None

    with transaction.atomic():
        existing = {
            product.sku.lower(): product
            for product in Product.objects.for_portal(portal).exclude(sku="").select_for_update()
        }
        valid: list[_ValidRow] = []
        errors: list[str] = []
        seen_skus: dict[str, tuple[str, int]] = {}
        bar = make_progress("Validating", len(rows))
        for row in rows:
            if row.problem:
                errors.append(row.problem)
                bar.update(1)
                continue
            sku_key = row.values.get("sku", "").strip().lower()
            product = existing.get(sku_key) if sku_key else None
            # Columns missing from the file keep the product's current values.
            data = product_to_row(product) if product else dict.fromkeys(COLUMNS, "")
            data.update(row.values)
            form = ProductImportForm(data, portal=portal, product=product, seen_skus=seen_skus)
            if form.is_valid():
                valid.append(_ValidRow(product=product, data=form.cleaned_data))
            else:
                errors.extend(_row_errors(row.number, form))
            if sku_key and sku_key not in seen_skus:
                seen_skus[sku_key] = (data.get("name", "").strip() or sku_key, row.number)
            bar.update(1)
        bar.close()
        if errors:
            raise ProductImportError(errors)

        bar = make_progress("Importing", len(valid))
        fields = [*_EDITABLE, "archived"]
        to_create: list[Product] = []
        changed: list[Product] = []
        updated = 0
        for item in valid:
            if item.product is None:
                product = Product(portal=portal, currency=portal.currency)
                to_create.append(product)
            else:
                product = item.product
                updated += 1
                if all(getattr(product, field) == item.data[field] for field in fields):
                    continue  # re-importing an export writes nothing
                changed.append(product)
            for field in fields:
                setattr(product, field, item.data[field])
        bar.update(updated - len(changed))
        try:
            with transaction.atomic():
                for start in range(0, len(to_create), BATCH_SIZE):
                    batch = to_create[start : start + BATCH_SIZE]
                    Product.objects.bulk_create(batch)
                    bar.update(len(batch))
                for product in changed:
                    # One UPDATE per row: bulk_update's CASE expressions are slower here.
                    product.save(update_fields=[*fields, "updated_at"])
                    bar.update(1)
                event_record_many(portal=portal, type="product.created", objs=to_create)
                event_record_many(portal=portal, type="product.updated", objs=changed)
        except IntegrityError:
            raise ProductImportError(
                [
                    "The product library changed while the file was being imported, so "
                    "nothing was imported. Upload the file again."
                ]
            ) from None
        finally:
            bar.close()
    return ProductImportResult(created=len(to_create), updated=updated)
