"""The document editor's forms: the line rows every document edits the same way, the
discount field shared by a line and a whole document, and the "send by e-mail" form."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.forms import BaseFormSet, formset_factory
from django.http import HttpRequest

from commerce.catalog.models import MAX_TERM_PERIODS, BillingFrequency, Product, is_recurring
from commerce.catalog.selectors import product_search
from commerce.forms import MoneyField, submitted
from commerce.portals.models import Portal

from .lines import MAX_LINES, MAX_QUANTITY, LineInput

DISCOUNT_TYPES = [("percent", "%"), ("amount", "$")]


def percent_field(label: str, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=7,
        decimal_places=3,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **kwargs,
    )


def parse_discount(form: forms.Form, kind: str, raw: str) -> tuple[Decimal | None, int | None]:
    """(percent, cents) from a discount type and what was typed into the form's
    `discount_value`; adds a form error when it cannot be read."""
    raw = raw.strip()
    if not raw:
        return None, None
    field = "discount_value"
    if kind == "amount":
        try:
            cents = MoneyField().clean(raw)
        except forms.ValidationError as exc:
            form.add_error(field, exc)
            return None, None
        return None, cents
    try:
        percent = Decimal(raw.rstrip("%").strip())
    except ArithmeticError:
        form.add_error(field, "Enter a percentage, like 10 or 12.5.")
        return None, None
    if not percent.is_finite():
        form.add_error(field, "Enter a percentage, like 10 or 12.5.")
        return None, None
    if percent < 0:
        form.add_error(field, "A discount cannot be negative.")
    elif percent > 100:
        form.add_error(field, "A discount cannot be more than 100%.")
    elif percent.as_tuple().exponent < -2:  # type: ignore[operator]
        form.add_error(field, "Use at most two decimal places.")
    else:
        return percent, None
    return None, None


def discount_initial(percent: Decimal | None, amount: int | None) -> tuple[str, str]:
    """(discount type, value as typed) of a stored discount, for the editor."""
    if percent is not None:
        return "percent", f"{percent.normalize():f}"
    if amount is not None:
        return "amount", f"{amount / 100:.2f}"
    return "percent", ""


class LineForm(forms.Form):
    """One line: from the product library (blank fields are taken from the product) or
    custom (name and unit price required)."""

    product = forms.ModelChoiceField(
        queryset=Product.objects.none(), required=False, empty_label="Custom item"
    )
    name = forms.CharField(
        max_length=200, required=False, widget=forms.TextInput(attrs={"placeholder": "Item name"})
    )
    sku = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 1, "placeholder": "Description"})
    )
    quantity = forms.IntegerField(
        initial=1,
        max_value=MAX_QUANTITY,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}),
        error_messages={"required": "Enter a quantity."},
    )
    unit_amount = MoneyField(required=False, label="Unit price")
    discount_type = forms.ChoiceField(choices=DISCOUNT_TYPES, required=False, initial="percent")
    discount_value = forms.CharField(
        required=False,
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "0"}
        ),
    )
    tax_rate = percent_field("Tax %")
    # Empty: the product's billing (one-time for a custom item).
    billing_frequency = forms.ChoiceField(
        choices=[("", "As product"), *BillingFrequency.choices], required=False
    )
    term_periods = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_TERM_PERIODS,
        widget=forms.NumberInput(attrs={"placeholder": "∞", "min": 1}),
    )

    def __init__(self, *args: Any, portal: Portal, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = product_search(portal=portal)  # type: ignore[attr-defined]
        self.fields["tax_rate"].widget.attrs["placeholder"] = "0"

    def has_changed(self) -> bool:
        # Positions are renumbered by the editor's script: a blank row stays blank.
        return any(name not in ("ORDER", "DELETE") for name in self.changed_data)

    def clean_quantity(self) -> int:
        quantity = self.cleaned_data["quantity"]
        if quantity is not None and quantity < 0:
            raise forms.ValidationError("A quantity cannot be negative.")
        if quantity == 0:
            raise forms.ValidationError("The quantity must be at least 1.")
        return quantity

    def clean_tax_rate(self) -> Decimal:
        rate = self.cleaned_data.get("tax_rate")
        if rate is None:
            return Decimal(0)
        if not (0 <= rate <= 100):
            raise forms.ValidationError("A tax rate must be between 0% and 100%.")
        return rate

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        product: Product | None = data.get("product")
        if product is not None:
            data["name"] = data.get("name") or product.name
            data["sku"] = data.get("sku") or product.sku
            data["description"] = data.get("description") or product.description
            if data.get("unit_amount") is None:
                data["unit_amount"] = product.unit_price
            if not self.data.get(self.add_prefix("billing_frequency")):
                data["billing_frequency"] = product.billing_frequency
                data["term_periods"] = product.term_periods
        else:
            if not data.get("name"):
                self.add_error("name", "Name the item, or choose a product.")
            if data.get("unit_amount") is None and "unit_amount" not in self.errors:
                self.add_error("unit_amount", "Enter a unit price.")
        frequency = data.get("billing_frequency") or BillingFrequency.ONE_TIME
        data["billing_frequency"] = frequency
        if not is_recurring(frequency):
            data["term_periods"] = None
        data["discount_percent"], data["discount_amount"] = parse_discount(
            self, data.get("discount_type") or "percent", data.get("discount_value") or ""
        )
        amount = data.get("discount_amount")
        if amount is not None and data.get("unit_amount") is not None and data.get("quantity"):
            line_amount = data["unit_amount"] * data["quantity"]
            if amount > line_amount:
                self.add_error("discount_value", "The discount is more than the line amount.")
        return data

    def line_input(self) -> LineInput:
        d = self.cleaned_data
        return LineInput(
            product=d.get("product"),
            name=d["name"],
            sku=d.get("sku") or "",
            description=d.get("description") or "",
            quantity=d["quantity"],
            unit_amount=d["unit_amount"],
            discount_percent=d["discount_percent"],
            discount_amount=d["discount_amount"],
            tax_rate=d["tax_rate"],
            billing_frequency=d["billing_frequency"],
            term_periods=d.get("term_periods"),
        )


class BaseLineFormSet(BaseFormSet):
    def __init__(self, *args: Any, portal: Portal, **kwargs: Any):
        self.portal = portal
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "portal": self.portal}

    @property
    def empty_form(self) -> forms.Form:
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            portal=self.portal,
        )
        self.add_fields(form, None)
        return form

    def line_inputs(self) -> list[LineInput]:
        """Kept lines in the order the editor shows them (the ORDER field)."""
        return [form.line_input() for form in self.ordered_forms if form.cleaned_data]


def line_formset(form: type[LineForm] = LineForm) -> type[BaseLineFormSet]:
    """The editor's rows of `form`: reorderable, removable, at most MAX_LINES."""
    return cast(
        type[BaseLineFormSet],
        formset_factory(
            form,
            formset=BaseLineFormSet,
            extra=1,
            can_delete=True,
            can_order=True,
            max_num=MAX_LINES,
            validate_max=True,
            # Django's default builds up to max_num + 1000 forms for whatever TOTAL_FORMS
            # a request claims; rows removed in the same submission fit in twice the limit.
            absolute_max=2 * MAX_LINES,
        ),
    )


def line_rows(
    formset: type[BaseLineFormSet], request: HttpRequest, *, portal: Portal, document: Any = None
) -> BaseLineFormSet:
    """The editor's rows (its "lines-…" fields): what was submitted on a POST, else the
    document's lines (none while it is new)."""
    initial = line_initial(document) if document is not None else None
    return formset(*submitted(request), portal=portal, prefix="lines", initial=initial)


def line_initial(document: Any) -> list[dict[str, Any]]:
    """The editor's rows of a stored document's lines."""
    rows = []
    for line in document.lines.all():
        discount_type, discount_value = discount_initial(
            line.discount_percent, line.discount_amount
        )
        rows.append(
            {
                "product": line.product_id,
                "name": line.name,
                "sku": line.sku,
                "description": line.description,
                "quantity": line.quantity,
                "unit_amount": line.unit_amount,
                "discount_type": discount_type,
                "discount_value": discount_value,
                "tax_rate": f"{line.tax_rate.normalize():f}" if line.tax_rate else "",
                "billing_frequency": line.billing_frequency,
                "term_periods": line.term_periods,
            }
        )
    return rows


class SendForm(forms.Form):
    message = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 4}), label="Message"
    )
