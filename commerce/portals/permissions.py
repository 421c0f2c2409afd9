"""The one permission map: which role may do what. Every view checks through it."""

from django.db import models


class Role(models.TextChoices):
    SUPER_ADMIN = "super_admin", "Super admin"
    BILLING_ADMIN = "billing_admin", "Billing admin"
    SALES_REP = "sales_rep", "Sales rep"


_ALL = frozenset(Role)
_ADMINS = frozenset({Role.SUPER_ADMIN, Role.BILLING_ADMIN})
_SELLERS = frozenset({Role.SUPER_ADMIN, Role.SALES_REP})

PERMISSIONS: dict[str, frozenset[Role]] = {
    "dashboard.view": _ALL,
    # Sales reps build the product library (DESIGN.md "Who uses it"); billing admins read it.
    "products.view": _ALL,
    "products.edit": _SELLERS,
    "contacts.view": _ALL,
    "contacts.edit": _ALL,
    "quotes.view": _ALL,
    "quotes.edit": _SELLERS,
    "payment_links.view": _ALL,
    "payment_links.edit": _SELLERS,
    "invoices.view": _ALL,
    # Every role builds, finalizes and sends invoices (DESIGN.md "Who uses it"); money
    # received by hand, voiding and writing off are for the admins.
    "invoices.edit": _ALL,
    "invoices.payments": _ADMINS,
    "invoices.void": _ADMINS,
    "payments.view": _ALL,
    "payments.refund": _ADMINS,
    "subscriptions.view": _ALL,
    "subscriptions.edit": _ADMINS,
    "reports.view": _ADMINS,
    # Accounting exports (accounting/): billing admins export; super admins pick accounts.
    "accounting.view": _ADMINS,
    "accounting.manage": frozenset({Role.SUPER_ADMIN}),
    # Payouts to the bank, itemised (payments/payouts/): the bookkeeper's view.
    "payouts.view": _ADMINS,
    "settings.view": _ALL,
    "portal.edit": frozenset({Role.SUPER_ADMIN}),
    "users.manage": frozenset({Role.SUPER_ADMIN}),
    "stripe.connect": frozenset({Role.SUPER_ADMIN}),
    "webhooks.view": frozenset({Role.SUPER_ADMIN}),
    # Outbound webhooks: endpoints, their secrets and deliveries (commerce/events/).
    "webhooks.manage": frozenset({Role.SUPER_ADMIN}),
    # API keys of the public REST API (api/): each acts for the portal with its scopes.
    "api_keys.manage": frozenset({Role.SUPER_ADMIN}),
}


# What each role is for, in the words shown on the team and invitation pages.
ROLE_DESCRIPTIONS: dict[str, str] = {
    Role.SUPER_ADMIN: "Everything, including the portal's branding, the team and the Stripe connection.",
    Role.BILLING_ADMIN: "Payments, refunds, subscriptions and invoices. Reads products and reports.",
    Role.SALES_REP: "Products, contacts, quotes, payment links and invoices.",
}


def role_can(role: str | None, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"Unknown permission {permission!r}")
    return role is not None and role in PERMISSIONS[permission]


def permissions_for(role: str | None) -> frozenset[str]:
    return frozenset(p for p, roles in PERMISSIONS.items() if role in roles)
