"""The one permission map: what each role may do."""

import pytest

from commerce.portals.permissions import PERMISSIONS, Role, permissions_for, role_can

SA, BA, SR = Role.SUPER_ADMIN, Role.BILLING_ADMIN, Role.SALES_REP

EXPECTED = {
    # permission: (super admin, billing admin, sales rep)
    "dashboard.view": (True, True, True),
    "settings.view": (True, True, True),
    "portal.edit": (True, False, False),
    "users.manage": (True, False, False),
    "stripe.connect": (True, False, False),
    "webhooks.view": (True, False, False),
    "products.view": (True, True, True),
    "products.edit": (True, False, True),
    "quotes.edit": (True, False, True),
    "payment_links.edit": (True, False, True),
    "invoices.edit": (True, True, True),
    "payments.refund": (True, True, False),
    "subscriptions.edit": (True, True, False),
    "reports.view": (True, True, False),
}


@pytest.mark.parametrize("permission", sorted(EXPECTED))
@pytest.mark.parametrize("index,role", [(0, SA), (1, BA), (2, SR)])
def test_role_has_exactly_the_expected_permissions(permission, index, role):
    assert role_can(role, permission) is EXPECTED[permission][index]


def test_super_admin_can_do_everything():
    assert permissions_for(SA) == frozenset(PERMISSIONS)


def test_no_role_means_no_permission():
    assert permissions_for(None) == frozenset()
    assert role_can(None, "dashboard.view") is False


def test_unknown_permission_is_a_programming_error():
    with pytest.raises(KeyError):
        role_can(SA, "settings.delete_everything")


def test_every_permission_names_only_known_roles():
    for roles in PERMISSIONS.values():
        assert roles <= set(Role)
