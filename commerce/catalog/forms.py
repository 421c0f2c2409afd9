"""Forms of the product library. The CSV import validates each row with `ProductImportForm`,
a `ProductForm`, so the page and the file can never disagree about what a valid product is."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from commerce.forms import MoneyField
from commerce.portals.models import Portal

from . import selectors
from .csv_io import MAX_FILE_BYTES
from .models import MAX_TERM_PERIODS, BillingFrequency, Product

_TERM_MESSAGE = (
    f"Enter a term of 1 to {MAX_TERM_PERIODS:,} billing periods, or leave it empty "
    "to bill until cancelled."
)


def _max_length(name: str) -> int | None:
    return getattr(Product._meta.get_field(name), "max_length", None)


class ProductForm(forms.Form):
    name = forms.CharField(max_length=_max_length("name"))
    sku = forms.CharField(
        label="SKU",
        max_length=_max_length("sku"),
        required=False,
        help_text="Unique in this portal. Shown on quotes and invoices.",
    )
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Shown to buyers."
    )
    unit_price = MoneyField(label="Unit price")
    unit_cost = MoneyField(
        label="Unit cost",
        required=False,
        help_text="What one unit costs you. Never shown to buyers.",
    )
    billing_frequency = forms.ChoiceField(
        label="Billing frequency",
        choices=BillingFrequency.choices,
        initial=BillingFrequency.ONE_TIME,
    )
    term_periods = forms.IntegerField(
        label="Term",
        required=False,
        min_value=1,
        max_value=MAX_TERM_PERIODS,
        error_messages={
            "min_value": _TERM_MESSAGE,
            "max_value": _TERM_MESSAGE,
            "invalid": _TERM_MESSAGE,
        },
        help_text="Number of billing periods. Leave empty to bill until cancelled.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1, "max": MAX_TERM_PERIODS}),
    )

    def __init__(self, *args: Any, portal: Portal, product: Product | None = None, **kwargs: Any):
        if product is not None and "initial" not in kwargs:
            kwargs["initial"] = product_initial(product)
        super().__init__(*args, **kwargs)
        self.portal = portal
        self.product = product

    def clean_sku(self) -> str:
        sku = self.cleaned_data["sku"].strip()
        conflict = self.sku_conflict(sku) if sku else None
        if conflict:
            raise ValidationError(conflict, code="duplicate_sku")
        return sku

    def sku_conflict(self, sku: str) -> str | None:
        """Why `sku` can't be used, or None: SKUs are unique per portal, ignoring case."""
        owner = selectors.product_sku_owner(
            portal=self.portal, sku=sku, exclude_pk=self.product.pk if self.product else None
        )
        if owner is None:
            return None
        return f"SKU “{sku}” is already used by “{owner.name}”."

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            cleaned.get("billing_frequency") == BillingFrequency.ONE_TIME
            and cleaned.get("term_periods") is not None
        ):
            self.add_error(
                "term_periods",
                ValidationError("One-time products have no term.", code="term_on_one_time"),
            )
        return cleaned


def product_initial(product: Product) -> dict[str, Any]:
    return {
        "name": product.name,
        "sku": product.sku,
        "description": product.description,
        "unit_price": product.unit_price,
        "unit_cost": product.unit_cost,
        "billing_frequency": product.billing_frequency,
        "term_periods": product.term_periods,
    }


# --- CSV import ---------------------------------------------------------------

_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0", ""}
_FREQUENCIES = {
    **{label.lower(): value for value, label in BillingFrequency.choices},
    **{value.lower(): value for value in BillingFrequency.values},
}


class CsvBooleanField(forms.Field):
    def to_python(self, value: Any) -> bool:
        text = str(value or "").strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValidationError("Use true or false.", code="invalid_boolean")

    def validate(self, value: Any) -> None:
        """False is a value here, not a missing one."""


class FrequencyField(forms.ChoiceField):
    """The stored value ("monthly") or the label ("Every two weeks"), any case; empty is one-time."""

    def to_python(self, value: Any) -> str:
        text = " ".join(str(value or "").split()).lower()
        if not text:
            return BillingFrequency.ONE_TIME
        return _FREQUENCIES.get(text, text)

    def validate(self, value: Any) -> None:
        if value not in BillingFrequency.values:
            raise ValidationError(
                "“%(value)s” is not a billing frequency. Use one of: %(choices)s.",
                code="invalid_choice",
                params={"value": value, "choices": ", ".join(BillingFrequency.values)},
            )


class ProductImportForm(ProductForm):
    """One CSV row. `seen_skus` maps the SKUs of earlier rows (lower-cased) to (name, row)."""

    billing_frequency = FrequencyField(label="billing_frequency", required=False)
    archived = CsvBooleanField(required=False)

    def __init__(
        self, *args: Any, seen_skus: dict[str, tuple[str, int]] | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.seen_skus = seen_skus if seen_skus is not None else {}

    def sku_conflict(self, sku: str) -> str | None:
        # A row whose SKU is already in the portal updates that product (the importer
        # loaded them all, locked, and passes it as `product`), so asking the database
        # again per row could only answer "no": what is left is a SKU repeated in the file.
        earlier = self.seen_skus.get(sku.lower())
        if earlier is None:
            return None
        name, row = earlier
        return f"SKU “{sku}” is already used by “{name}” on row {row}."


class ProductImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={"required": "Choose a CSV file to import.", "empty": "The file is empty."},
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError("The file is larger than 5 MB. Split it into smaller files.")
        return upload.read()


class ProductFilterForm(forms.Form):
    """The list's search box and filters; anything invalid is ignored rather than an error."""

    q = forms.CharField(required=False, max_length=100, label="Search")
    frequency = forms.ChoiceField(
        required=False,
        choices=[("", "All frequencies"), *BillingFrequency.choices],
        label="Billing frequency",
    )
    archived = forms.BooleanField(required=False, label="Show archived")

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "search": (data.get("q") or "").strip(),
            "frequency": data.get("frequency") or "",
            "include_archived": bool(data.get("archived")),
        }

    @property
    def active(self) -> bool:
        values = self.values()
        return bool(values["search"] or values["frequency"])
