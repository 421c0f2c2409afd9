from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower

from commerce.models import PortalOwned


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
            models.UniqueConstraint(Lower("email"), "portal", name="contact_unique_email_per_portal"),
        ]
        indexes = [models.Index(fields=["portal", "-created_at"])]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    def address(self, kind: str) -> list[str]:
        """Address lines of `kind` ('billing' or 'shipping') for display, empties dropped."""
        g = lambda f: getattr(self, f"{kind}_{f}")  # noqa: E731
        city_line = " ".join(p for p in (f"{g('city')}," if g("city") else "", g("state"), g("postal_code")) if p)
        return [line for line in (g("line1"), g("line2"), city_line.strip(" ,"), g("country")) if line]
