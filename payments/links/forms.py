"""Forms of payment links (the seller's editor) and of the hosted checkout (the buyer)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, formset_factory
from django.template.loader import render_to_string

from commerce import money
from commerce.catalog.models import Product
from commerce.clock import format_day, hub_today
from commerce.customers.countries import COUNTRIES, DEFAULT_COUNTRY
from commerce.forms import IdField, MoneyField
from commerce.portals.models import Portal
from payments.links.services import MAX_LINES, LineSpec
from payments.models import PaymentLink, PaymentLinkLine

MAX_QUANTITY = 9999


# --- The seller's editor ---------------------------------------------------------------


class PaymentLinkForm(forms.Form):
    name = forms.CharField(
        max_length=200,
        help_text="Shown to buyers at the top of the checkout page.",
    )
    allow_quantity_change = forms.BooleanField(required=False, label="Buyers may change quantities")
    min_quantity = forms.IntegerField(
        min_value=1, max_value=MAX_QUANTITY, initial=1, label="Minimum quantity"
    )
    max_quantity = forms.IntegerField(
        min_value=1, max_value=MAX_QUANTITY, initial=10, label="Maximum quantity"
    )
    collect_billing_address = forms.BooleanField(required=False, label="Billing address")
    collect_shipping_address = forms.BooleanField(required=False, label="Shipping address")
    collect_phone = forms.BooleanField(required=False, label="Phone number")
    single_use = forms.BooleanField(
        required=False, label="Single use", help_text="The link stops working after one payment."
    )
    expires_on = forms.DateField(
        required=False,
        label="Expiry date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The link works until the end of this day in your portal's time zone.",
    )
    max_payments = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=1_000_000,
        label="Maximum number of payments",
        help_text="Empty for no limit.",
    )

    def __init__(self, *args: Any, portal: Portal, link: PaymentLink | None = None, **kwargs: Any):
        self.portal = portal
        if link is not None and "initial" not in kwargs:
            initial = {
                name: getattr(link, name) for name in self.base_fields if hasattr(link, name)
            }
            if link.expires_at:
                initial["expires_on"] = (
                    (link.expires_at - timedelta(microseconds=1)).astimezone(self._zone()).date()
                )
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)

    def _zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.portal.time_zone)
        except (ValueError, KeyError):
            return ZoneInfo("UTC")

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        low, high = data.get("min_quantity"), data.get("max_quantity")
        if low and high and high < low:
            self.add_error("max_quantity", "The maximum must be at least the minimum.")
        expires_on = data.get("expires_on")
        if expires_on and expires_on != self.initial.get("expires_on"):
            today = hub_today(self._zone())
            if expires_on < today:
                self.add_error(
                    "expires_on",
                    f"That day has passed. Choose {format_day(today)} or a later day, "
                    "or leave it empty for a link that never expires.",
                )
        return data

    def link_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        expires_on: date | None = data.pop("expires_on", None)
        data["expires_at"] = (
            datetime.combine(expires_on + timedelta(days=1), time.min, tzinfo=self._zone())
            if expires_on
            else None
        )
        return data


class LineForm(forms.Form):
    """One row of the line editor: an existing line (kept as its snapshot) or a product."""

    line_id = IdField(required=False, widget=forms.HiddenInput)
    product = forms.ModelChoiceField(
        queryset=Product.objects.none(), required=False, empty_label="Choose a product…"
    )
    quantity = forms.IntegerField(min_value=1, max_value=MAX_QUANTITY, initial=1)
    unit_amount = MoneyField(
        required=False, label="Unit price", help_text="Empty: the product's price."
    )
    discount_type = forms.ChoiceField(
        required=False,
        choices=[("", "No discount"), ("percent", "%"), ("amount", "$")],
        label="Discount",
    )
    discount_value = forms.CharField(required=False, max_length=20, label="Discount value")

    def __init__(self, *args: Any, portal: Portal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["product"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Product.objects.for_portal(portal).filter(archived=False)
        field.label_from_instance = _product_label  # type: ignore[assignment,method-assign]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if not data.get("line_id") and not data.get("product") and not self.errors:
            raise ValidationError("Choose a product.")
        kind, raw = data.get("discount_type") or "", (data.get("discount_value") or "").strip()
        data["discount_percent"] = data["discount_amount"] = None
        if kind and not raw:
            self.add_error("discount_value", "Enter the discount, or choose “No discount”.")
        elif kind == "percent":
            try:
                percent = Decimal(raw.rstrip("% "))
            except InvalidOperation:
                percent = Decimal(-1)
            if not percent.is_finite() or not Decimal(0) <= percent <= Decimal(100):
                self.add_error("discount_value", "Enter a percentage between 0 and 100.")
            elif percent.as_tuple().exponent < -2:  # type: ignore[operator]
                self.add_error("discount_value", "Use at most 2 decimal places.")
            else:
                data["discount_percent"] = percent
        elif kind == "amount":
            try:
                data["discount_amount"] = money.parse_amount(raw)
            except money.MoneyError as exc:
                self.add_error("discount_value", str(exc))
        return data


def _product_label(product: Product) -> str:
    price = money.format_cents(product.unit_price, product.currency)
    unit = f" / {product.price_unit}" if product.price_unit else ""
    return f"{product.name} · {price}{unit}"


class BaseLineFormSet(BaseFormSet):
    def __init__(self, *args: Any, portal: Portal, **kwargs: Any) -> None:
        self.portal = portal
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "portal": self.portal}

    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.line_specs():
            raise ValidationError("Add at least one line item.")

    def line_specs(self) -> list[LineSpec]:
        specs = []
        for form in self.forms:
            if not form.has_changed() and not form.initial.get("line_id"):
                continue
            if form.cleaned_data.get("DELETE"):
                continue
            data = form.cleaned_data
            if not data:
                continue
            product = data.get("product")
            specs.append(
                LineSpec(
                    line_id=data.get("line_id") or None,
                    product_id=product.pk if product else None,
                    quantity=data["quantity"],
                    unit_amount=data.get("unit_amount"),
                    discount_percent=data.get("discount_percent"),
                    discount_amount=data.get("discount_amount"),
                )
            )
        return specs


def _line_formset_class(extra: int) -> type[BaseLineFormSet]:
    return formset_factory(  # type: ignore[return-value]
        LineForm,
        formset=BaseLineFormSet,
        extra=extra,
        can_delete=True,
        max_num=MAX_LINES,
        validate_max=True,
        absolute_max=2 * MAX_LINES,  # not Django's max_num + 1000 forms per request
    )


def line_initial(line: PaymentLinkLine) -> dict[str, Any]:
    if line.discount_percent is not None:
        kind, value = "percent", f"{line.discount_percent.normalize():f}"
    elif line.discount_amount is not None:
        kind, value = "amount", str(money.to_decimal(line.discount_amount))
    else:
        kind, value = "", ""
    return {
        "line_id": line.pk,
        "quantity": line.quantity,
        "unit_amount": line.unit_amount,
        "discount_type": kind,
        "discount_value": value,
        # For display only (not a field): the snapshot's name and schedule.
        "name": line.name,
        "sku": line.sku,
        "billing_frequency": line.billing_frequency,
        "term_periods": line.term_periods,
    }


def line_formset(
    data: Any, *, portal: Portal, link: PaymentLink | None, blank_rows: int
) -> BaseLineFormSet:
    initial = [line_initial(line) for line in link.lines.all()] if link else []
    return _line_formset_class(blank_rows)(data, portal=portal, initial=initial, prefix="lines")


# --- The buyer's form on the hosted checkout ------------------------------------------

_PRICE_FIELDS = re.compile(r"^(amount|total|price|unit_amount|unit_price|discount)(_.*)?$")
_GROUPED = ("qty_", "billing_", "shipping_")


@dataclass(frozen=True)
class FieldSpec:
    """One field of CheckoutForm as templates/public/_details_form.html writes it: what
    its widget would render, known without rendering the widget (the page's hot path)."""

    name: str
    label: str
    group: str  # "qty", "contact", "billing" or "shipping"
    input_type: str  # the <input> type, or "select"
    attrs: str  # the widget's own attributes, rendered
    required: bool
    required_attr: bool  # a <select> whose first option has a value is never `required`
    initial: Any
    choices: tuple[tuple[str, str], ...]
    min_value: int | None
    max_value: int | None


def field_rows(
    specs: Sequence[FieldSpec],
    *,
    values: Mapping[str, Any],
    errors: Mapping[str, list[str]] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The rows of the details form by group: each field's spec, its value as the widget
    would write it (`values` are the form's initial or bound values; a field not in them
    shows its own initial) and its errors."""
    errors = errors or {}
    rows: dict[str, list[dict[str, Any]]] = {
        "qty": [],
        "contact": [],
        "billing": [],
        "shipping": [],
    }
    for spec in specs:
        value = values.get(spec.name, spec.initial)
        # Django's Input.format_value: no value attribute for None or "".
        shown = None if value is None or value == "" else str(value)
        rows[spec.group].append(
            {
                **spec.__dict__,
                "value": shown,
                "errors": errors.get(spec.name, []),
                "options": _options(spec.choices, shown or "") if spec.choices else "",
            }
        )
    return rows


@lru_cache(maxsize=64)
def _options(choices: tuple[tuple[str, str], ...], selected: str) -> str:
    return render_to_string(
        "public/_select_options.html", {"choices": choices, "selected": selected}
    )


class CheckoutForm(forms.Form):
    """E-mail, name, the link's requested fields and, when allowed, the quantities.

    Prices never come from the browser: a posted amount, or a quantity for a line that
    is not on this link, is refused rather than ignored.
    """

    email = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    name = forms.CharField(
        label="Full name", max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )

    def __init__(self, *args: Any, link: PaymentLink, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.link = link
        self.lines = list(link.lines.all())
        if link.collect_phone:
            self.fields["phone"] = forms.CharField(
                label="Phone",
                max_length=40,
                widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            )
        for kind, wanted in (
            ("billing", link.collect_billing_address),
            ("shipping", link.collect_shipping_address),
        ):
            if wanted:
                self._address_fields(kind)
        if link.allow_quantity_change:
            for line in self.lines:
                self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                    label=f"Quantity of {line.name}",
                    required=False,
                    min_value=link.min_quantity,
                    max_value=link.max_quantity,
                    initial=line.quantity,
                    widget=forms.NumberInput(attrs={"class": "qty-input", "inputmode": "numeric"}),
                    error_messages={
                        "min_value": f"Choose a quantity between {link.min_quantity} and {link.max_quantity}.",
                        "max_value": f"Choose a quantity between {link.min_quantity} and {link.max_quantity}.",
                    },
                )

    def _address_fields(self, kind: str) -> None:
        auto = "billing" if kind == "billing" else "shipping"
        spec = [
            ("line1", "Address", True, f"{auto} address-line1"),
            ("line2", "Apartment, suite, etc.", False, f"{auto} address-line2"),
            ("city", "City", True, f"{auto} address-level2"),
            ("state", "State", False, f"{auto} address-level1"),
            ("postal_code", "ZIP code", True, f"{auto} postal-code"),
        ]
        for part, label, required, autocomplete in spec:
            self.fields[f"{kind}_{part}"] = forms.CharField(
                label=label,
                required=required,
                max_length=200 if part.startswith("line") else 100,
                widget=forms.TextInput(attrs={"autocomplete": autocomplete}),
            )
        self.fields[f"{kind}_country"] = forms.ChoiceField(
            label="Country",
            choices=COUNTRIES,
            initial=DEFAULT_COUNTRY,
            widget=forms.Select(attrs={"autocomplete": f"{auto} country"}),
        )

    def address_rows(self, kind: str) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(f"{kind}_")]

    def field_specs(self) -> tuple[FieldSpec, ...]:
        """How the page writes each field: the same for every buyer of a version of the
        link, so the page keeps it with the link's other cached parts."""
        specs = []
        for name, field in self.fields.items():
            widget = field.widget
            group = name.split("_", 1)[0] if name.startswith(_GROUPED) else "contact"
            # The widget's own attributes, as its template writes them.
            attrs = self.renderer.get_template("django/forms/widgets/attrs.html").render(
                {"widget": {"attrs": widget.attrs}}
            )
            choices = tuple(getattr(field, "choices", ()))
            specs.append(
                FieldSpec(
                    name=name,
                    label=str(field.label),
                    group=group,
                    input_type="select" if choices else str(widget.input_type),
                    attrs=attrs,
                    required=field.required,
                    required_attr=field.required and widget.use_required_attribute(field.initial),
                    initial=field.initial,
                    choices=choices,
                    min_value=getattr(field, "min_value", None),
                    max_value=getattr(field, "max_value", None),
                )
            )
        return tuple(specs)

    def field_rows(self) -> dict[str, list[dict[str, Any]]]:
        """The fields as the buyer filled them in, with their errors."""
        return field_rows(
            self.field_specs(),
            values={name: self[name].value() for name in self.fields},
            errors={name: [str(e) for e in errors] for name, errors in self.errors.items()},
        )

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if self.data:
            line_ids = {str(line.pk) for line in self.lines}
            for key in self.data:
                if _PRICE_FIELDS.match(key):
                    raise ValidationError(
                        "Prices are set by the seller and can't be changed here.", code="tampered"
                    )
                if key.startswith("qty_") and key[4:] not in line_ids:
                    raise ValidationError(
                        "That item isn't part of this payment link. Reload the page and try again.",
                        code="foreign_line",
                    )
                if key.startswith("qty_") and not self.link.allow_quantity_change:
                    line = next(line for line in self.lines if str(line.pk) == key[4:])
                    if self.data.get(key) != str(line.quantity):
                        raise ValidationError(
                            "The quantities of this payment link can't be changed.",
                            code="fixed_quantity",
                        )
        return data

    def quantities(self) -> dict[int, int]:
        if not self.link.allow_quantity_change:
            return {}
        return {
            line.pk: self.cleaned_data.get(f"qty_{line.pk}") or line.quantity for line in self.lines
        }

    def address(self, kind: str) -> dict[str, str] | None:
        if f"{kind}_line1" not in self.fields:
            return None
        return {
            part: self.cleaned_data.get(f"{kind}_{part}", "") or ""
            for part in ("line1", "line2", "city", "state", "postal_code", "country")
        }
