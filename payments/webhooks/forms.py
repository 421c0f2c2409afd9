"""The filter of the webhook events list."""

from django import forms


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
