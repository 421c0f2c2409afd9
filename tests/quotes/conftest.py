"""Builders for quote tests: quotes are made through the services, as the hub makes them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from quotes import services
from tests.factories import ContactFactory
from tests.support import line


@pytest.fixture
def contact(portal):
    return ContactFactory(
        portal=portal, email="buyer@client.test", first_name="Bea", last_name="Buyer"
    )


@pytest.fixture
def make_quote(portal, sales_rep, contact):
    def make(*, lines=None, publish=False, expires_on=None, target_portal=None, **kwargs):
        target = target_portal or portal
        quote = services.quote_create(
            portal=target,
            actor=None,
            title=kwargs.pop("title", "Website redesign"),
            contact=kwargs.pop("contact", contact if target == portal else None),
            owner=kwargs.pop("owner", sales_rep if target == portal else None),
            expires_on=expires_on or services.default_expiry(portal=target),
            lines=lines if lines is not None else [line(tax_rate=Decimal("10"))],
            **kwargs,
        )
        if publish:
            quote = services.quote_publish(quote=quote, actor=None)
        return quote

    return make
