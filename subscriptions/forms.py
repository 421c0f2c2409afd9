from __future__ import annotations

from django import forms

from commerce import ids, money
from commerce.catalog.models import BillingFrequency, Product
from commerce.customers.models import Contact
from commerce.forms import IdField

from .models import Subscription
from .selectors import SubscriptionFilters
from .services import ItemAddition, ItemChange


class SubscriptionFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    status = forms.ChoiceField(
        required=False, choices=[("", "All statuses"), *Subscription.Status.choices]
    )
    due_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    due_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    contact = IdField(required=False, widget=forms.HiddenInput)

    def filters(self) -> SubscriptionFilters:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return SubscriptionFilters(
            q=(data.get("q") or "").strip(),
            status=data.get("status") or "",
            due_from=data.get("due_from"),
            due_to=data.get("due_to"),
            contact_id=data.get("contact"),
        )


class ChangeForm(forms.Form):
    ACTIONS = [
        ("pause", "Pause"),
        ("resume", "Resume"),
        ("next_date", "Change next billing date"),
        ("cancel_now", "Cancel now"),
        ("cancel_at_period_end", "Cancel at period end"),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    new_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    confirm = forms.BooleanField(
        required=True, error_messages={"required": "Tick the box to confirm the change."}
    )


def parse_item_changes(data, items) -> tuple[list, list[str]]:
    """The items dialog's fields `qty_<id>` and `price_<id>` (dollars) for each item;
    returns (changes, errors written for the admin)."""
    changes, errors = [], []
    for item in items:
        raw_qty = (data.get(f"qty_{item.pk}") or "").strip()
        raw_price = (data.get(f"price_{item.pk}") or "").strip()
        quantity = ids.parse_int(raw_qty, maximum=10_000)
        if quantity is None:
            errors.append(f"{item.name}: enter a quantity from 0 to 10,000.")
            continue
        try:
            unit_amount = money.parse_amount(raw_price)
        except money.MoneyError as exc:
            errors.append(f"{item.name}: {exc}")
            continue
        changes.append(ItemChange(item_id=item.pk, quantity=quantity, unit_amount=unit_amount))
    return changes, errors


class AddItemForm(forms.Form):
    """The "Add an item" dialog: a product of the library or a custom line."""

    SOURCES = [("product", "From the product library"), ("custom", "Custom line")]
    source = forms.ChoiceField(choices=SOURCES, initial="product", widget=forms.RadioSelect)
    product: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Choose a product"
    )
    name = forms.CharField(required=False, max_length=200, label="Custom line name")
    quantity = forms.IntegerField(min_value=1, max_value=10_000, initial=1)
    unit_price = forms.CharField(
        required=False,
        max_length=20,
        label="Unit price per period",
        help_text="Leave empty to use the product's price.",
    )
    confirm = forms.BooleanField(
        required=True, error_messages={"required": "Tick the box to confirm the change."}
    )

    def __init__(self, *args, portal, currency: str = "usd", **kwargs) -> None:
        kwargs.setdefault("auto_id", "add_%s")  # the change dialog on the page has id_confirm
        super().__init__(*args, **kwargs)
        self.currency = currency
        field = self.fields["product"]
        field.queryset = Product.objects.filter(portal=portal, archived=False).order_by("name")  # type: ignore[attr-defined]
        field.label_from_instance = lambda p: (  # type: ignore[attr-defined]
            f"{p.name} · {money.format_cents(p.unit_price, p.currency)} {p.schedule or 'one-time'}"
        )

    def clean(self):
        data = super().clean() or {}
        source = data.get("source")
        raw_price = (data.get("unit_price") or "").strip()
        data["unit_amount"] = None
        if raw_price:
            try:
                data["unit_amount"] = money.parse_amount(raw_price, self.currency)
            except money.MoneyError as exc:
                self.add_error("unit_price", str(exc))
        if source == "product" and not data.get("product"):
            self.add_error("product", "Choose a product, or add a custom line.")
        if source == "custom":
            if not (data.get("name") or "").strip():
                self.add_error("name", "Name the custom line.")
            if not raw_price:
                self.add_error("unit_price", "Enter the custom line's unit price.")
        return data

    def addition(self):
        data = self.cleaned_data
        product = data.get("product") if data["source"] == "product" else None
        return ItemAddition(
            quantity=data["quantity"],
            product_id=product.pk if product else None,
            name="" if product else data["name"],
            unit_amount=data["unit_amount"],
        )


class NewSubscriptionForm(forms.Form):
    contact: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, empty_label="Choose a contact"
    )
    product: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, empty_label="Choose a recurring product"
    )
    quantity = forms.IntegerField(min_value=1, max_value=10_000, initial=1)
    start_date = forms.DateField(
        label="First charge on", widget=forms.DateInput(attrs={"type": "date"})
    )
    send_card_link = forms.BooleanField(
        required=False,
        label="E-mail the contact a link to set up a card first",
        help_text="Leave unticked to charge the card they already saved with you.",
    )

    def __init__(self, *args, portal, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.filter(portal=portal).order_by("email")  # type: ignore[attr-defined]
        self.fields["product"].queryset = (  # type: ignore[attr-defined]
            Product.objects.filter(portal=portal, archived=False)
            .exclude(billing_frequency=BillingFrequency.ONE_TIME)
            .order_by("name")
        )
