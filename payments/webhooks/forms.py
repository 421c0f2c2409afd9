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

    def criteria(self) -> dict[str, str]:
        """The filters of `selectors.event_list_page`; none when the form is empty or invalid."""
        if not self.is_valid():
            return {}
        return {
            "state": self.cleaned_data["state"],
            "type_prefix": self.cleaned_data["type"].strip(),
        }
