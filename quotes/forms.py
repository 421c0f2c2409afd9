"""Forms of the quote builder, the quote list filters and the buyer's answers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.forms import BaseFormSet, formset_factory

from commerce.catalog.models import MAX_TERM_PERIODS, BillingFrequency, Product, is_recurring
from commerce.forms import MoneyField
from commerce.portals.models import Portal

from . import selectors
from .models import Quote, QuoteStatus
from .services import MAX_LINES, LineInput, NewContact

MAX_QUANTITY = 100_000
DISCOUNT_TYPES = [("percent", "%"), ("amount", "$")]


def _percent_field(label: str, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=7,
        decimal_places=3,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **kwargs,
    )


class QuoteForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="What the buyer sees at the top.")
    contact: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Choose a contact…", label="Contact"
    )
    new_contact_email = forms.EmailField(required=False, label="E-mail")
    new_contact_first_name = forms.CharField(max_length=100, required=False, label="First name")
    new_contact_last_name = forms.CharField(max_length=100, required=False, label="Last name")
    new_contact_company = forms.CharField(max_length=200, required=False, label="Company")
    owner: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Nobody"
    )
    expires_on = forms.DateField(
        label="Expiration date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The buyer can answer until the end of this day (your portal's time zone).",
    )
    requires_payment = forms.BooleanField(
        required=False, label="The buyer pays when accepting", initial=True
    )
    discount_type = forms.ChoiceField(choices=DISCOUNT_TYPES, required=False, initial="percent")
    discount_value = forms.CharField(
        required=False,
        label="Quote discount",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text="Applied after the line discounts, before tax.",
    )
    terms = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    comments = forms.CharField(
        required=False,
        label="Comments to the buyer",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, portal: Portal, quote: Quote | None = None, **kwargs: Any):
        self.portal = portal
        if quote is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_for(quote)
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = selectors.quote_contacts(portal=portal)  # type: ignore[attr-defined]
        self.fields["owner"].queryset = selectors.quote_owners(portal=portal)  # type: ignore[attr-defined]
        self.fields["owner"].label_from_instance = lambda u: u.name or u.email  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["discount_percent"], data["discount_amount"] = _discount(
            self, data.get("discount_type") or "percent", data.get("discount_value") or ""
        )
        if data.get("contact") and data.get("new_contact_email"):
            self.add_error(
                "new_contact_email", "Choose an existing contact or add a new one, not both."
            )
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        new_contact = None
        if data.get("new_contact_email"):
            new_contact = NewContact(
                email=data["new_contact_email"],
                first_name=data["new_contact_first_name"],
                last_name=data["new_contact_last_name"],
                company=data["new_contact_company"],
            )
        return {
            "title": data["title"],
            "contact": data.get("contact"),
            "new_contact": new_contact,
            "owner": data.get("owner"),
            "expires_on": data["expires_on"],
            "requires_payment": data["requires_payment"],
            "discount_percent": data["discount_percent"],
            "discount_amount": data["discount_amount"],
            "terms": data["terms"],
            "comments": data["comments"],
        }


def _discount(form: forms.Form, kind: str, raw: str) -> tuple[Decimal | None, int | None]:
    """(percent, cents) from a discount type and what was typed; adds a form error."""
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


def initial_for(quote: Quote) -> dict[str, Any]:
    discount_type, discount_value = "percent", ""
    if quote.discount_percent is not None:
        discount_value = f"{quote.discount_percent.normalize():f}"
    elif quote.discount_amount is not None:
        discount_type = "amount"
        discount_value = f"{quote.discount_amount / 100:.2f}"
    return {
        "title": quote.title,
        "contact": quote.contact_id,
        "owner": quote.owner_id,
        "expires_on": quote.expires_on,
        "requires_payment": quote.requires_payment,
        "discount_type": discount_type,
        "discount_value": discount_value,
        "terms": quote.terms,
        "comments": quote.comments,
    }


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
    tax_rate = _percent_field("Tax %")
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
        self.fields["product"].queryset = selectors.quote_products(portal=portal)  # type: ignore[attr-defined]
        self.fields["tax_rate"].widget.attrs["placeholder"] = "0"

    def has_changed(self) -> bool:
        # Positions are renumbered by the builder's script: a blank row stays blank.
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
        data["discount_percent"], data["discount_amount"] = _discount(
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
        """Kept lines in the order the builder shows them (the ORDER field)."""
        return [form.line_input() for form in self.ordered_forms if form.cleaned_data]


LineFormSet = cast(
    type[BaseLineFormSet],
    formset_factory(
        LineForm,
        formset=BaseLineFormSet,
        extra=1,
        can_delete=True,
        can_order=True,
        max_num=MAX_LINES,
        validate_max=True,
    ),
)


def line_initial(quote: Quote) -> list[dict[str, Any]]:
    rows = []
    for line in quote.lines.all():
        discount_type, discount_value = "percent", ""
        if line.discount_percent is not None:
            discount_value = f"{line.discount_percent.normalize():f}"
        elif line.discount_amount is not None:
            discount_type, discount_value = "amount", f"{line.discount_amount / 100:.2f}"
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


class QuoteFilterForm(forms.Form):
    q = forms.CharField(required=False)
    status = forms.ChoiceField(required=False, choices=[("", "All statuses"), *QuoteStatus.choices])
    owner = forms.IntegerField(required=False)
    contact = forms.IntegerField(required=False)
    expiring = forms.BooleanField(required=False)

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "search": (data.get("q") or "")[:200],
            "status": data.get("status") or "",
            "owner_id": data.get("owner"),
            "contact_id": data.get("contact"),
            "expiring_soon": bool(data.get("expiring")),
        }

    @property
    def active(self) -> bool:
        return any(self.values().values())


class AcceptForm(forms.Form):
    signed_name = forms.CharField(max_length=200, label="Your full name")
    agree = forms.BooleanField(
        label="I have read the quote and accept its terms",
        error_messages={"required": "Tick the box to accept the terms."},
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=2000,
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: helps the seller make a better offer.",
    )


class SendForm(forms.Form):
    message = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 4}), label="Message"
    )


class QuoteSettingsForm(forms.Form):
    default_expiry_days = forms.IntegerField(
        min_value=1, max_value=365, label="Quotes expire after (days)"
    )
    default_terms = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 5}), label="Default terms"
    )
