from django.http import HttpRequest
from django.urls import reverse

from .models import Membership
from .permissions import permissions_for

# (label, url name, permission, path prefix)
NAV = [
    ("Home", "dashboard", "dashboard.view", "/$"),
    ("Products", "catalog:list", "products.view", "/products/"),
    ("Contacts", "customers:list", "contacts.view", "/contacts/"),
    ("Quotes", "quotes:index", "quotes.view", "/quotes/"),
    ("Invoices", "invoices:index", "invoices.view", "/invoices/"),
    ("Payment links", "payment_links:index", "payment_links.view", "/payment-links/"),
    ("Subscriptions", "subscriptions:index", "subscriptions.view", "/subscriptions/"),
    ("Payments", "payments:index", "payments.view", "/payments/"),
    ("Reports", "reports:index", "reports.view", "/reports/"),
    ("Accounting", "accounting:index", "accounting.view", "/accounting/"),
    ("Settings", "settings:index", "settings.view", "/settings/"),
]


def _nav(request: HttpRequest, perms: frozenset[str]) -> list[dict]:
    items = []
    for label, url_name, permission, prefix in NAV:
        if permission not in perms:
            continue
        active = request.path == "/" if prefix == "/$" else request.path.startswith(prefix)
        items.append({"label": label, "url": reverse(url_name), "active": active})
    return items


def portal_context(request: HttpRequest) -> dict:
    membership = getattr(request, "membership", None)
    if membership is None:
        return {"portal": None, "perms_for_portal": frozenset(), "other_memberships": [], "nav": []}
    perms = permissions_for(membership.role)
    others = (
        Membership.objects.select_related("portal")
        .filter(user_id=membership.user_id)
        .exclude(pk=membership.pk)
        .order_by("portal__name")
    )
    return {
        "portal": membership.portal,
        "membership": membership,
        "perms_for_portal": perms,
        "other_memberships": others,
        "nav": _nav(request, perms),
    }
