"""Forms of the quote builder, the quote list filters and the buyer's answers. The line
rows are the documents core's (`commerce.documents.forms`)."""

from __future__ import annotations

from typing import Any

from django import forms

from commerce.documents.forms import (
    DISCOUNT_TYPES,
    discount_initial,
    line_formset,
    parse_discount,
)
from commerce.documents.selectors import document_contacts
from commerce.forms import IdField
from commerce.portals.models import Portal

from . import selectors
from .models import Quote, QuoteStatus
from .services import NewContact

LineFormSet = line_formset()


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
        self.fields["contact"].queryset = document_contacts(portal=portal)  # type: ignore[attr-defined]
        self.fields["owner"].queryset = selectors.quote_owners(portal=portal)  # type: ignore[attr-defined]
        self.fields["owner"].label_from_instance = lambda u: u.name or u.email  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["discount_percent"], data["discount_amount"] = parse_discount(
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


def initial_for(quote: Quote) -> dict[str, Any]:
    discount_type, discount_value = discount_initial(quote.discount_percent, quote.discount_amount)
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


class QuoteFilterForm(forms.Form):
    q = forms.CharField(required=False)
    status = forms.ChoiceField(required=False, choices=[("", "All statuses"), *QuoteStatus.choices])
    owner = IdField(required=False)
    contact = IdField(required=False)
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


class QuoteSettingsForm(forms.Form):
    default_expiry_days = forms.IntegerField(
        min_value=1, max_value=365, label="Quotes expire after (days)"
    )
    default_terms = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 5}), label="Default terms"
    )
