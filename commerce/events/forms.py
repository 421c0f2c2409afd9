"""Forms of Settings → Webhooks."""

from __future__ import annotations

import datetime as dt

from django import forms

from commerce.clock import hub_now

from .catalogue import subscribable


def _type_choices() -> list[tuple[str, str]]:
    return [(t.name, t.name) for t in subscribable()]


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="Endpoint URL",
        max_length=2000,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/webhooks/commerce"}),
        help_text="The hub POSTs signed JSON here. It must answer 2xx within 15 seconds.",
    )
    description = forms.CharField(max_length=200, required=False)
    all_events = forms.BooleanField(label="Send every event type", required=False, initial=True)
    event_types = forms.MultipleChoiceField(
        label="Event types",
        choices=_type_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if not data.get("all_events") and not data.get("event_types"):
            self.add_error("event_types", "Choose at least one event type, or send every type.")
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "url": data["url"],
            "description": data["description"],
            "event_types": [] if data["all_events"] else list(data["event_types"]),
        }

    @classmethod
    def initial_for(cls, endpoint) -> dict:
        return {
            "url": endpoint.url,
            "description": endpoint.description,
            "all_events": not endpoint.event_types,
            "event_types": endpoint.event_types,
        }


class ReplayForm(forms.Form):
    since = forms.DateTimeField(
        label="Events since",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text="In the portal's time zone.",
    )

    def clean_since(self) -> dt.datetime:
        since: dt.datetime = self.cleaned_data["since"]
        if since > hub_now():
            raise forms.ValidationError("Choose a time in the past.")
        return since
