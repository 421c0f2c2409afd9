"""Membership changes racing each other (needs PostgreSQL's row locks)."""

import threading

import pytest
from django.db import connection

from commerce.portals import services
from commerce.portals.models import Membership
from commerce.portals.permissions import Role
from tests.factories import MembershipFactory, PortalFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_super_admins_demoting_each_other_at_once_leave_one_super_admin(postgres):
    portal = PortalFactory()
    first = MembershipFactory(portal=portal, role=Role.SUPER_ADMIN)
    second = MembershipFactory(portal=portal, role=Role.SUPER_ADMIN)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(membership):
        try:
            barrier.wait()
            services.membership_change_role(membership=membership, role=Role.SALES_REP)
            outcomes.append("demoted")
        except services.PortalError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=demote, args=(m,)) for m in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["demoted", "refused"]
    assert Membership.objects.filter(portal=portal, role=Role.SUPER_ADMIN).count() == 1
