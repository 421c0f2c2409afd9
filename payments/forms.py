from django import forms

from .models import StripeEvent


class ConnectForm(forms.Form):
    confirm_us = forms.BooleanField(
        label="My business is located in the United States",
        error_messages={"required": "Confirm that your business is located in the United States."},
    )
    accept_terms = forms.BooleanField(
        label="I accept the payment processing terms",
        error_messages={"required": "Accept the payment processing terms to continue."},
    )


class EventFilterForm(forms.Form):
    STATES = [
        ("", "All states"),
        ("pending", "Pending"),
        ("failed", "Failed"),
        ("processed", "Processed"),
    ]
    state = forms.ChoiceField(choices=STATES, required=False)
    type = forms.CharField(required=False, max_length=100)

    def filter(self, queryset):
        if not self.is_valid():
            return queryset
        state = self.cleaned_data["state"]
        if state == "processed":
            queryset = queryset.filter(processed_at__isnull=False)
        elif state == "failed":
            queryset = queryset.filter(processed_at__isnull=True).exclude(last_error="")
        elif state == "pending":
            queryset = queryset.filter(processed_at__isnull=True)
        if self.cleaned_data["type"]:
            queryset = queryset.filter(type__startswith=self.cleaned_data["type"].strip())
        return queryset


__all__ = ["ConnectForm", "EventFilterForm", "StripeEvent"]
