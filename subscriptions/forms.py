from __future__ import annotations

from django import forms

from .models import Subscription
from .selectors import SubscriptionFilters


class SubscriptionFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    status = forms.ChoiceField(
        required=False, choices=[("", "All statuses"), *Subscription.Status.choices]
    )
    due_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    due_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    contact = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

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
    from commerce import money

    from .services import ItemChange

    changes, errors = [], []
    for item in items:
        raw_qty = (data.get(f"qty_{item.pk}") or "").strip()
        raw_price = (data.get(f"price_{item.pk}") or "").strip()
        try:
            quantity = int(raw_qty)
            if not 0 <= quantity <= 10_000:
                raise ValueError
        except ValueError:
            errors.append(f"{item.name}: enter a quantity from 0 to 10,000.")
            continue
        try:
            unit_amount = money.parse_amount(raw_price)
        except money.MoneyError as exc:
            errors.append(f"{item.name}: {exc}")
            continue
        changes.append(ItemChange(item_id=item.pk, quantity=quantity, unit_amount=unit_amount))
    return changes, errors


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
        from commerce.catalog.models import BillingFrequency, Product
        from commerce.customers.models import Contact

        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.filter(portal=portal).order_by("email")  # type: ignore[attr-defined]
        self.fields["product"].queryset = (  # type: ignore[attr-defined]
            Product.objects.filter(portal=portal, archived=False)
            .exclude(billing_frequency=BillingFrequency.ONE_TIME)
            .order_by("name")
        )
