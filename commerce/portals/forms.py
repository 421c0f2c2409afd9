"""Forms of the portals app: sign-in, portal details and branding, logo, team."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string

from commerce.notifications import email_enqueue, render_subject

from .logos import ACCEPT, MAX_LOGO_BYTES, logo_content_type
from .models import Portal, hex_colour
from .permissions import ROLE_DESCRIPTIONS, Role

# The zones most US sellers pick, first; the full list follows.
COMMON_TIME_ZONES = [
    ("America/New_York", "Eastern Time (New York)"),
    ("America/Chicago", "Central Time (Chicago)"),
    ("America/Denver", "Mountain Time (Denver)"),
    ("America/Phoenix", "Mountain Time, no DST (Phoenix)"),
    ("America/Los_Angeles", "Pacific Time (Los Angeles)"),
    ("America/Anchorage", "Alaska Time (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii Time (Honolulu)"),
]


def time_zone_label(zone: str) -> str:
    """A readable name for a time zone: "Eastern Time (New York)", "America/Boise"."""
    return dict(COMMON_TIME_ZONES).get(zone) or zone.replace("_", " ")


def time_zone_choices() -> list:
    all_zones = list(Portal._meta.get_field("time_zone").choices or [])
    return [("Common in the US", COMMON_TIME_ZONES), ("All time zones", all_zones)]


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(label="E-mail", max_length=254)


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's password reset, its e-mail sent by the mail task like every other one."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        email_enqueue(
            to=[to_email],
            subject=render_subject(subject_template_name, context),
            text=render_to_string(email_template_name, context),
            html=(
                render_to_string(html_email_template_name, context)
                if html_email_template_name
                else ""
            ),
        )


class PortalForm(forms.Form):
    """Details and branding. A plain form, not a ModelForm: validating must not touch
    the request's portal object, which the page header is still rendering."""

    name = forms.CharField(label="Portal name", max_length=120)
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=time_zone_choices,
        help_text="Dates on documents and reminders use this time zone.",
    )
    support_email = forms.EmailField(
        label="Support e-mail",
        required=False,
        help_text="Buyers see it on checkout, quote and invoice pages.",
    )
    accent_colour = forms.CharField(
        label="Accent colour",
        max_length=7,
        help_text="Buttons and highlights, for your team and your buyers. Hex, like #4f46e5.",
        widget=forms.TextInput(
            attrs={"class": "mono", "spellcheck": "false", "autocomplete": "off", "maxlength": 7}
        ),
    )
    checkout_text = forms.CharField(
        label="Checkout message",
        max_length=300,
        required=False,
        help_text="A short note under the pay button: terms, a thank-you, who to contact.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_accent_colour(self) -> str:
        value = self.cleaned_data["accent_colour"].strip().lower()
        if value and not value.startswith("#"):
            value = "#" + value
        hex_colour(value)
        return value

    @classmethod
    def initial_for(cls, portal: Portal) -> dict:
        return {name: getattr(portal, name) for name in cls.base_fields}


class LogoForm(forms.Form):
    logo = forms.FileField(
        label="Logo file",
        help_text=f"PNG, JPEG, WebP or GIF, up to {MAX_LOGO_BYTES // 1024} KB. A square image works best.",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def clean_logo(self) -> bytes:
        upload = self.cleaned_data["logo"]
        if upload.size is not None and upload.size > MAX_LOGO_BYTES:
            raise ValidationError(
                f"The logo is {upload.size // 1024} KB; the limit is {MAX_LOGO_BYTES // 1024} KB."
            )
        content = upload.read()
        logo_content_type(content)
        return content


class RoleField(forms.ChoiceField):
    widget = forms.RadioSelect

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("choices", Role.choices)
        kwargs.setdefault("label", "Role")
        super().__init__(**kwargs)


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="E-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "placeholder": "name@company.com"}),
    )
    name = forms.CharField(
        label="Name",
        max_length=150,
        required=False,
        help_text="Used when they don't have an account yet.",
    )
    role = RoleField(initial=Role.SALES_REP)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class RoleForm(forms.Form):
    role = RoleField()


def role_options() -> list[dict]:
    """Roles with their descriptions, for the radio cards of the team pages."""
    return [
        {"value": value, "label": label, "description": ROLE_DESCRIPTIONS[value]}
        for value, label in Role.choices
    ]
