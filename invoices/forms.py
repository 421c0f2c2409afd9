"""Forms of the invoice editor, list filters, manual payments and settings. The line
rows are the documents core's (`commerce.documents.forms.LineForm`), made one-time."""

from __future__ import annotations

from typing import Any

from django import forms

from commerce import money
from commerce.catalog.models import BillingFrequency
from commerce.documents.forms import LineForm, line_formset
from commerce.documents.selectors import document_contacts
from commerce.forms import IdField, MoneyField
from commerce.portals.models import Portal

from .models import MANUAL_METHODS, Invoice, InvoiceStatus, PaymentMethod, PaymentTerms

DATE = forms.DateInput(attrs={"type": "date"})


class InvoiceForm(forms.Form):
    contact: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Choose a contact…", label="Bill to"
    )
    issue_date = forms.DateField(label="Issue date", widget=DATE)
    payment_terms = forms.ChoiceField(choices=PaymentTerms.choices, initial=PaymentTerms.NET_30)
    due_date = forms.DateField(
        label="Due date",
        required=False,
        widget=DATE,
        help_text="Used with “Custom date”; other terms count from the issue date.",
    )
    memo = forms.CharField(
        required=False,
        label="Memo",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Printed on the invoice: payment instructions, a thank-you, a PO number.",
    )
    currency = forms.CharField(required=False, disabled=True, initial="USD")
    # Shown once the total is above the card limit (money.CARD_LIMIT_CENTS).
    above_card_limit = forms.BooleanField(
        required=False,
        label="Issue above the card limit",
        help_text="The buyer pays by bank transfer or cheque: the invoice's page offers "
        "no card payment. Say how to pay in the memo.",
    )

    def __init__(self, *args: Any, portal: Portal, invoice: Invoice | None = None, **kwargs: Any):
        if invoice is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "contact": invoice.contact_id,
                "issue_date": invoice.issue_date,
                "payment_terms": invoice.payment_terms,
                "due_date": invoice.due_date,
                "memo": invoice.memo,
                "above_card_limit": money.over_card_limit(invoice.total),
            }
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = document_contacts(portal=portal)  # type: ignore[attr-defined]
        self.fields["currency"].initial = portal.currency.upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        issue, due = data.get("issue_date"), data.get("due_date")
        if data.get("payment_terms") == PaymentTerms.CUSTOM:
            if due is None and "due_date" not in self.errors:
                self.add_error("due_date", "Choose the due date.")
            elif issue and due and due < issue:
                self.add_error("due_date", "The due date cannot be before the issue date.")
        return data

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        custom = d["payment_terms"] == PaymentTerms.CUSTOM
        return {
            "contact": d.get("contact"),
            "issue_date": d["issue_date"],
            "payment_terms": d["payment_terms"],
            "due_date": d.get("due_date") if custom else None,
            "memo": d.get("memo") or "",
            "above_card_limit": bool(d.get("above_card_limit")),
        }


class InvoiceLineForm(LineForm):
    """A line row that always bills once."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["billing_frequency"] = BillingFrequency.ONE_TIME
        data["term_periods"] = None
        return data


InvoiceLineFormSet = line_formset(InvoiceLineForm)


class InvoiceFilterForm(forms.Form):
    q = forms.CharField(required=False)
    status = forms.ChoiceField(
        required=False, choices=[("", "All statuses"), *InvoiceStatus.choices]
    )
    contact = IdField(required=False)
    due_from = forms.DateField(required=False)
    due_until = forms.DateField(required=False)
    overdue = forms.BooleanField(required=False)

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "search": (data.get("q") or "")[:200],
            "status": data.get("status") or "",
            "contact_id": data.get("contact"),
            "due_from": data.get("due_from"),
            "due_until": data.get("due_until"),
            "overdue": bool(data.get("overdue")),
        }


class ExportForm(forms.Form):
    """The export's filters: issue (or payment) dates and the invoice status."""

    since = forms.DateField(required=False)
    until = forms.DateField(required=False)
    status = forms.ChoiceField(
        required=False, choices=[("", "All statuses"), *InvoiceStatus.choices]
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise forms.ValidationError("The end date is before the start date.")
        return data


class PaymentForm(forms.Form):
    method = forms.ChoiceField(
        choices=[(m.value, m.label) for m in map(PaymentMethod, MANUAL_METHODS)],
        initial=PaymentMethod.BANK_TRANSFER,
    )
    amount = MoneyField(allow_zero=False, label="Amount")
    paid_on = forms.DateField(label="Date received", widget=DATE)
    reference = forms.CharField(
        max_length=200,
        required=False,
        label="Reference",
        help_text="Cheque number, transfer reference…",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(required=False, max_length=500, label="Reason")


class InvoiceSettingsForm(forms.Form):
    number_prefix = forms.CharField(max_length=12, required=False, label="Number prefix")
    default_memo = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4}), label="Default memo"
    )
    allow_partial_payments = forms.BooleanField(
        required=False, label="Buyers may pay part of an invoice online"
    )
    remind_days_before = forms.IntegerField(
        required=False, min_value=1, max_value=60, label="Remind days before the due date"
    )
    remind_on_due_date = forms.BooleanField(required=False, label="Remind on the due date")
    remind_every_days_after = forms.IntegerField(
        required=False, min_value=1, max_value=90, label="Then remind every (days)"
    )
    remind_max_after = forms.IntegerField(
        min_value=0, max_value=20, label="Reminders after the due date, at most"
    )
