"""Forms of contacts."""

from __future__ import annotations

import re
from copy import copy
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from commerce.portals.models import Portal

from . import selectors
from .countries import COUNTRIES, DEFAULT_COUNTRY
from .models import ADDRESS_PARTS, Contact
from .services import EDITABLE_FIELDS, normalize_email

_PHONE_CHARS = re.compile(r"^[0-9+().\-\s/]*(?:\s*(?:ext\.?|x)\s*[0-9]+)?$", re.IGNORECASE)
_DIGITS = re.compile(r"\d")


class ContactForm(forms.ModelForm):
    same_as_billing = forms.BooleanField(label="Same as billing address", required=False)

    class Meta:
        model = Contact
        fields = ["email", *EDITABLE_FIELDS]
        labels = {"email": "E-mail", "first_name": "First name", "last_name": "Last name"}
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }
        help_texts = {"phone": "With the country code for numbers outside the US."}

    def __init__(
        self, *args: Any, portal: Portal, instance: Contact | None = None, **kwargs: Any
    ) -> None:
        # Validation writes into the instance; the caller's object stays as saved, and
        # only the services write to the database.
        kwargs["instance"] = copy(instance) if instance else None
        super().__init__(*args, **kwargs)
        self.portal = portal
        for kind in ("billing", "shipping"):
            self.fields[f"{kind}_country"] = forms.ChoiceField(
                label="Country", choices=COUNTRIES, initial=DEFAULT_COUNTRY
            )
            if not self.instance.pk or not getattr(self.instance, f"{kind}_country"):
                self.initial[f"{kind}_country"] = DEFAULT_COUNTRY
        if "same_as_billing" not in self.initial:
            self.initial["same_as_billing"] = (
                not self.instance.pk or self.instance.shipping_same_as_billing
            )

    def clean_email(self) -> str:
        email = normalize_email(self.cleaned_data["email"])
        existing = selectors.contact_with_email(
            portal=self.portal, email=email, exclude_pk=self.instance.pk
        )
        if existing is not None:
            raise ValidationError(
                format_html(
                    'A contact with this e-mail already exists in this portal. <a href="{}">Open {}</a>',
                    existing.get_absolute_url(),
                    existing,
                ),
                code="duplicate_email",
            )
        return email

    def clean_phone(self) -> str:
        phone = " ".join(self.cleaned_data["phone"].split())
        if phone and (not _PHONE_CHARS.match(phone) or len(_DIGITS.findall(phone)) < 7):
            raise ValidationError(
                "Enter a phone number, like +1 415 555 0101.", code="invalid_phone"
            )
        return phone

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("same_as_billing"):
            for part in ADDRESS_PARTS:
                cleaned[f"shipping_{part}"] = cleaned.get(f"billing_{part}", "")
                self.errors.pop(f"shipping_{part}", None)
        return cleaned

    def contact_fields(self) -> dict[str, str]:
        """What the services take: the e-mail and every editable field."""
        return {name: self.cleaned_data[name] for name in ("email", *EDITABLE_FIELDS)}


class ContactSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")

    def search(self) -> str:
        return (self.cleaned_data.get("q") or "").strip() if self.is_valid() else ""
