"""The payouts list's filters."""

from __future__ import annotations

from typing import Any

from django import forms

from payments.payouts.models import Payout
from payments.payouts.selectors import PayoutFilters


class PayoutFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False, choices=[("", "All statuses"), *Payout.Status.choices]
    )
    arrival_from = forms.DateField(
        required=False,
        label="Arriving from",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the start date as YYYY-MM-DD."},
    )
    arrival_to = forms.DateField(
        required=False,
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the end date as YYYY-MM-DD."},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("arrival_from"), data.get("arrival_to")
        if start and end and start > end:
            self.add_error("arrival_to", "The end date is before the start date.")
        return data

    def filters(self) -> PayoutFilters:
        """The valid filters; an invalid one is left out and reported, never a 500."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return PayoutFilters(
            status=data.get("status") or "",
            arrival_from=data.get("arrival_from"),
            arrival_to=data.get("arrival_to"),
        )
