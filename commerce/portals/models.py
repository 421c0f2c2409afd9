from __future__ import annotations

import uuid
from decimal import Decimal
from typing import ClassVar
from zoneinfo import available_timezones

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from commerce.clock import ClockDateTimeField

from .permissions import Role, role_can


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username or "")


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Buyers have no account; they use public links."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can use the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@")[0]


def _timezone_choices() -> list[tuple[str, str]]:
    zones = sorted(
        z for z in available_timezones() if z.startswith(("America/", "Pacific/Honolulu", "UTC"))
    )
    return [(z, z.replace("_", " ")) for z in zones]


hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #4f46e5.")


class Portal(models.Model):
    """A tenant: one selling business, its team, its data and its Stripe account."""

    class Country(models.TextChoices):
        US = "US", "United States"

    class Currency(models.TextChoices):
        USD = "usd", "US dollar (USD)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    country = models.CharField(max_length=2, choices=Country.choices, default=Country.US)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", choices=_timezone_choices
    )
    accent_colour = models.CharField(max_length=7, default="#4f46e5", validators=[hex_colour])
    checkout_text = models.CharField(
        max_length=300,
        blank=True,
        help_text="Shown to buyers on checkout, quote and invoice pages.",
    )
    support_email = models.EmailField(blank=True)
    # The platform's application fee on each buyer payment (direct charges,
    # docs.stripe.com/connect/direct-charges#collect-fees). Default: none.
    application_fee_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="Platform fee in percent of each payment (0 for none).",
    )
    application_fee_fixed = models.PositiveIntegerField(
        default=0, help_text="Platform fee added to each payment, integer cents (0 for none)."
    )
    logo = models.BinaryField(blank=True, null=True, editable=False)
    logo_content_type = models.CharField(max_length=40, blank=True, editable=False)
    logo_updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_logo(self) -> bool:
        return bool(self.logo_content_type)


class Membership(models.Model):
    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.SALES_REP)
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = ClockDateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["portal", "user"], name="membership_unique_user"),
        ]
        ordering = ["portal__name", Lower("user__email")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.portal} ({self.get_role_display()})"

    def can(self, permission: str) -> bool:
        return role_can(self.role, permission)
