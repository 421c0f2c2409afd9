"""The form that makes an API key."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.utils import timezone

from .scopes import ACCESS, RESOURCES


def _label(resource: str) -> str:
    return resource.replace("_", " ").capitalize()


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="Where the key is used, e.g. “Accounting sync”."
    )
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The key stops working at the start of this day. Leave empty to keep it until revoked.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for resource in RESOURCES:
            self.fields[f"scope_{resource}"] = forms.ChoiceField(
                label=_label(resource),
                required=False,
                choices=[("", "No access"), *((access, access.capitalize()) for access in ACCESS)],
            )

    def scope_fields(self) -> list[forms.BoundField]:
        return [self[f"scope_{resource}"] for resource in RESOURCES]

    def scopes(self) -> list[str]:
        """Write access includes read access: a key that may change products may read them."""
        chosen: list[str] = []
        for resource in RESOURCES:
            access = self.cleaned_data.get(f"scope_{resource}")
            if access == "read":
                chosen.append(f"{resource}:read")
            elif access == "write":
                chosen += [f"{resource}:read", f"{resource}:write"]
        return chosen

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not self.scopes():
            raise forms.ValidationError("Give the key access to at least one resource.")
        return cleaned

    def expires_at(self) -> datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day, time.min))
