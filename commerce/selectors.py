"""Reads for the dashboard."""

from django.db.models import Count, Q

from commerce.catalog.models import Product
from commerce.customers.models import Contact
from commerce.portals.models import Portal


def dashboard_summary(*, portal: Portal) -> dict:
    products = Product.objects.for_portal(portal).aggregate(
        active=Count("id", filter=Q(archived=False)),
        recurring=Count("id", filter=Q(archived=False) & ~Q(billing_frequency="one_time")),
    )
    return {
        "products_active": products["active"],
        "products_recurring": products["recurring"],
        "contacts": Contact.objects.for_portal(portal).count(),
        "recent_contacts": list(Contact.objects.for_portal(portal).order_by("-created_at")[:5]),
    }
