"""Forms of the payments tool: the list's filters and the refund confirmation."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.http import QueryDict

from commerce.forms import MoneyField
from payments.ledger.selectors import PaymentFilters
from payments.models import Payment, Refund


class PaymentFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    status = forms.ChoiceField(
        required=False, choices=[("", "All statuses"), *Payment.Status.choices]
    )
    source = forms.ChoiceField(
        required=False, choices=[("", "All sources"), *Payment.Source.choices]
    )
    date_from = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the start date as YYYY-MM-DD."},
    )
    date_to = forms.DateField(
        required=False,
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the end date as YYYY-MM-DD."},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def filters(self) -> PaymentFilters:
        """The filters that are valid; an invalid one is left out (and reported by the
        form's errors) instead of failing the page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return PaymentFilters(
            status=data.get("status") or "",
            source=data.get("source") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            search=(data.get("q") or "").strip(),
        )


REASON_CHOICES = [
    (Refund.Reason.REQUESTED_BY_CUSTOMER, "Requested by customer"),
    (Refund.Reason.DUPLICATE, "Duplicate payment"),
    (Refund.Reason.FRAUDULENT, "Fraudulent"),
    ("", "Other (explain in the note)"),
]


class RefundForm(forms.Form):
    amount = MoneyField(
        allow_zero=False,
        label="Amount to refund",
        error_messages={"required": "Enter the amount to refund."},
    )
    reason = forms.ChoiceField(choices=REASON_CHOICES, required=False, label="Reason")
    note = forms.CharField(
        required=False,
        max_length=300,
        label="Note",
        help_text="For your team; the buyer doesn't see it.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # One token per rendered form: submitting it twice is one refund (the idempotency key).
    attempt = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "This refund form has expired. Reload the page and try again.",
            "invalid": "This refund form has expired. Reload the page and try again.",
        },
    )

    def __init__(self, *args: Any, refundable: int = 0, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "amount": refundable,
                "reason": Refund.Reason.REQUESTED_BY_CUSTOMER,
                "attempt": uuid.uuid4(),
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs["aria-describedby"] = "refund-amount-help"

    def renew_attempt(self) -> None:
        """A fresh token for the form shown again after a refused refund: its old one may
        name a failed refund, and Stripe replays a key's first answer."""
        # The QueryDict's own copy: `{**data}` would turn each value into its list.
        data = self.data.copy() if isinstance(self.data, QueryDict) else {**self.data}
        data["attempt"] = str(uuid.uuid4())
        self.data = data

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The token is hidden: its error is the form's, where people can see it.
        if "attempt" in self.errors:
            self.add_error(None, self.errors.pop("attempt"))
        elif not data.get("reason") and not (data.get("note") or "").strip():
            self.add_error("note", "Say why you are refunding, or pick a reason.")
        return data
