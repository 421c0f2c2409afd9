from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from commerce.models import PortalOwned

from .countries import COUNTRY_NAMES

ADDRESS_PARTS = ("line1", "line2", "city", "state", "postal_code", "country")


class Contact(PortalOwned):
    """A buyer. Unique per portal by e-mail, case-insensitively.

    `stripe_customer_id` is the Customer on the portal's *connected* account (direct
    charges keep customers on the seller's account).
    """

    email = models.EmailField()
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    company = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)

    billing_line1 = models.CharField("Address line 1", max_length=200, blank=True)
    billing_line2 = models.CharField("Address line 2", max_length=200, blank=True)
    billing_city = models.CharField("City", max_length=100, blank=True)
    billing_state = models.CharField("State", max_length=100, blank=True)
    billing_postal_code = models.CharField("ZIP code", max_length=20, blank=True)
    billing_country = models.CharField("Country", max_length=2, blank=True, default="US")

    shipping_line1 = models.CharField("Address line 1", max_length=200, blank=True)
    shipping_line2 = models.CharField("Address line 2", max_length=200, blank=True)
    shipping_city = models.CharField("City", max_length=100, blank=True)
    shipping_state = models.CharField("State", max_length=100, blank=True)
    shipping_postal_code = models.CharField("ZIP code", max_length=20, blank=True)
    shipping_country = models.CharField("Country", max_length=2, blank=True, default="US")

    stripe_customer_id = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"), "portal", name="contact_unique_email_per_portal"
            ),
        ]
        indexes = [models.Index(fields=["portal", "-created_at"])]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_absolute_url(self) -> str:
        return reverse("customers:detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    def address(self, kind: str) -> list[str]:
        """Address lines of `kind` ('billing' or 'shipping') for display, empties dropped.

        The country is shown by name, and only with the rest of an address: a contact
        without an address has no lines, even though the country defaults to US.
        """
        g = lambda f: getattr(self, f"{kind}_{f}")  # noqa: E731
        city_line = " ".join(
            p for p in (f"{g('city')}," if g("city") else "", g("state"), g("postal_code")) if p
        )
        lines = [line for line in (g("line1"), g("line2"), city_line.strip(" ,")) if line]
        if lines and g("country"):
            lines.append(COUNTRY_NAMES.get(g("country"), g("country")))
        return lines

    @property
    def billing_address(self) -> list[str]:
        return self.address("billing")

    @property
    def shipping_address(self) -> list[str]:
        return self.address("shipping")

    @property
    def shipping_same_as_billing(self) -> bool:
        return all(
            getattr(self, f"billing_{part}") == getattr(self, f"shipping_{part}")
            for part in ADDRESS_PARTS
        )
