from __future__ import annotations

import datetime as dt

from django import forms

from .models import ACCOUNTS, CODE_MAX, NAME_MAX
from .selectors import EXPORT_STATUSES, Filters
from .services import LABELS, accounting_settings_check

MAX_DAYS = 366 * 3


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """From the first day of last month to today: last month's books and this month's."""
    first = today.replace(day=1)
    last_month = (first - dt.timedelta(days=1)).replace(day=1)
    return last_month, today


class ExportFilterForm(forms.Form):
    start = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(
        required=False,
        choices=[("", "All but void"), *EXPORT_STATUSES],
        label="Status",
    )

    def __init__(self, *args, today: dt.date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict:
        data = super().clean() or {}
        default_start, default_end = default_period(self.today)
        start = data.get("start") or default_start
        end = data.get("end") or default_end
        if start > end:
            self.add_error("end", "The end date must be on or after the start date.")
        elif (end - start).days > MAX_DAYS:
            self.add_error("start", "Choose at most three years at a time.")
        data["start"], data["end"] = start, end
        return data

    def filters(self) -> Filters:
        """The filters of a valid form, else the default period."""
        if self.is_bound and self.is_valid():
            d = self.cleaned_data
            return Filters(since=d["start"], until=d["end"], status=d.get("status") or "")
        since, until = default_period(self.today)
        return Filters(since=since, until=until)

    def errors_text(self) -> str:
        return " ".join(str(e) for errors in self.errors.values() for e in errors)


class AccountingSettingsForm(forms.Form):
    """Code and name of each account, and the two Xero tax rates. The service's own check
    cleans every field, so the page and the service refuse the same things, with the same
    sentences (a blank field included)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for account in ACCOUNTS:
            label = LABELS[account]
            self.fields[f"{account}_code"] = forms.CharField(
                label="Code",
                required=False,
                widget=forms.TextInput(
                    attrs={
                        "autocomplete": "off",
                        "spellcheck": "false",
                        "maxlength": CODE_MAX,
                        "aria-label": f"{label} account code",
                    }
                ),
            )
            self.fields[f"{account}_name"] = forms.CharField(
                label="Name",
                required=False,
                widget=forms.TextInput(
                    attrs={"maxlength": NAME_MAX, "aria-label": f"{label} account name"}
                ),
            )
        self.fields["tax_rate"] = forms.CharField(
            label="Xero tax rate for taxed lines",
            required=False,
            help_text="The tax rate's display name in Xero, such as Tax on Sales.",
        )
        self.fields["no_tax_rate"] = forms.CharField(
            label="Xero tax rate for untaxed lines",
            required=False,
            help_text="Such as Tax Exempt.",
        )

    def rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(LABELS[a], self[f"{a}_code"], self[f"{a}_name"]) for a in ACCOUNTS]

    def clean(self) -> dict:
        data = super().clean() or {}
        cleaned, errors = accounting_settings_check(data)
        for field, message in errors.items():
            self.add_error(field, message)
        return {**data, **cleaned}
