"""The reads behind the buyer's pages (views.py): the link and the buyer's own checkout of
a payment link's page, the checkout a buyer comes back to, a receipt.

The page of a payment link is the hub's hottest public read: its selectors are plain
SQL where building the equivalent ORM query would cost more than running it (as
`payable_link_page_key` in start.py), and give the page what it shows, not model
instances.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import prefetch_related_objects

from commerce.db import fetch_one
from payments.checkout.payables import DOCUMENT_SOURCES
from payments.checkout.start import (
    LIVE_STATUSES,
    payable_link_page_key,
    payable_link_page_key_of,
    payable_link_query,
    public_link,
)
from payments.models import Checkout, Payment, PaymentLink


@dataclass(frozen=True)
class OpenCheckout:
    """What a payment link's page shows of the buyer's checkout in progress: their
    details, the order they froze and, once it exists, their PaymentIntent's secret."""

    pk: int
    public_id: str
    status: str
    email: str
    name: str
    phone: str
    billing_address: dict[str, str] | None
    shipping_address: dict[str, str] | None
    order: dict[str, Any]
    amount: int
    currency: str
    stripe_account_id: str
    client_secret: str
    failure_message: str


@dataclass(frozen=True)
class LinkPageBuyer:
    """Who is asking for a link's page. `page_key` is payable_link_page_key's: None when
    the link cannot take a new payment now (the full path then says why, or finds that
    the buyer's own reservation is the use in question)."""

    page_key: str | None
    checkout: OpenCheckout | None


_OPEN_CHECKOUT_COLUMNS = (
    "id",
    "public_id",
    "status",
    "email",
    "name",
    "phone",
    "billing_address",
    "shipping_address",
    "order",
    "amount",
    "currency",
    "stripe_account_id",
    "client_secret",
    "failure_message",
)


def _json(value: Any) -> Any:
    # SQLite, and PostgreSQL's jsonb as Django sets psycopg up, return the JSON text.
    return json.loads(value) if isinstance(value, str | bytes) else value


def _open_checkout(values: Sequence[Any]) -> OpenCheckout:
    row = dict(zip(_OPEN_CHECKOUT_COLUMNS, values, strict=True))
    return OpenCheckout(
        pk=row["id"],
        public_id=str(uuid.UUID(str(row["public_id"]))),
        status=row["status"],
        email=row["email"],
        name=row["name"],
        phone=row["phone"],
        billing_address=_json(row["billing_address"]),
        shipping_address=_json(row["shipping_address"]),
        order=_json(row["order"]) or {},
        amount=row["amount"],
        currency=row["currency"],
        stripe_account_id=row["stripe_account_id"],
        client_secret=row["client_secret"],
        failure_message=row["failure_message"],
    )


def _own_checkout_join(link_id: str) -> str:
    """LEFT JOIN of the session's live checkouts of the link `link_id` (a column), as
    `own` (open_checkout_for_session's rule; the caller takes the latest). Its
    parameters: the session key, LIVE_STATUSES."""
    quote = connection.ops.quote_name
    # Only table names from the models are formatted in; values are parameters.
    return (
        f" LEFT JOIN ({quote(Checkout._meta.db_table)} own"
        f" JOIN {quote(PaymentLink._meta.db_table)} its"
        f" ON its.id = own.payment_link_id AND its.portal_id = own.portal_id)"
        f" ON own.payment_link_id = {link_id} AND own.session_key = %s"
        f" AND own.status IN (%s, %s)"
    )


def _own_checkout_params(session_key: str) -> list[Any]:
    return [session_key, *(status.value for status in LIVE_STATUSES)]


def _own_checkout_columns() -> str:
    return ", ".join(f"own.{connection.ops.quote_name(name)}" for name in _OPEN_CHECKOUT_COLUMNS)


def checkout_open_for_buyer(*, slug: str, session_key: str | None) -> OpenCheckout | None:
    """The buyer's checkout of the link `slug` still in progress in this browser session:
    one plain SQL query."""
    if not session_key:
        return None
    sql = (
        f"SELECT {_own_checkout_columns()}"  # noqa: S608
        f" FROM {connection.ops.quote_name(PaymentLink._meta.db_table)} l"
        f"{_own_checkout_join('l.id')}"
        f" WHERE l.slug = %s AND own.id IS NOT NULL ORDER BY own.created_at DESC LIMIT 1"
    )
    row = fetch_one(sql, [*_own_checkout_params(session_key), slug])
    return None if row is None else _open_checkout(row)


def link_page_buyer(*, slug: str, session_key: str | None) -> LinkPageBuyer:
    """The GET of a link's page: whether the link takes payments now (the key of its
    page's cached parts) and the buyer's open checkout when they have a session. One
    plain SQL query: payable_link_page_key's, with the buyer's checkout joined in."""
    if not session_key:
        return LinkPageBuyer(page_key=payable_link_page_key(slug), checkout=None)
    payable_sql, payable_params = payable_link_query(slug)
    sql = (
        f"SELECT payable.*, {_own_checkout_columns()} FROM ({payable_sql}) payable"  # noqa: S608
        f"{_own_checkout_join('payable.id')}"
        # No checkout: the one row of the link with NULLs; else the latest checkout.
        f" ORDER BY own.created_at DESC LIMIT 1"
    )
    row = fetch_one(sql, [*payable_params, *_own_checkout_params(session_key)])
    if row is None:
        # The full path says why; the buyer's own hold may be the use in question.
        return LinkPageBuyer(
            page_key=None, checkout=checkout_open_for_buyer(slug=slug, session_key=session_key)
        )
    columns = len(_OPEN_CHECKOUT_COLUMNS)
    own = row[-columns:]
    return LinkPageBuyer(
        page_key=payable_link_page_key_of(row[:-columns]),
        checkout=None if own[0] is None else _open_checkout(own),
    )


def link_with_lines(*, slug: str) -> PaymentLink | None:
    """The link behind a public URL with its portal, `portal_ready` and its lines: two
    queries."""
    link = public_link(slug)
    if link is not None:
        prefetch_related_objects([link], "lines")
    return link


def checkout_of_link(*, slug: str, public_id: str) -> Checkout | None:
    """A checkout of the link `slug`, with its portal (logo bytes left out) and link."""
    return (
        Checkout.objects.select_related("portal", "payment_link")
        .defer("portal__logo")
        .filter(payment_link__slug=slug, public_id=public_id)
        .first()
    )


def checkout_paid(*, public_id: str) -> tuple[Checkout, Payment | None] | None:
    """A checkout that succeeded (or is processing) and its latest payment, for the
    receipt; None for any other."""
    checkout = (
        Checkout.objects.select_related("portal", "payment_link")
        .defer("portal__logo")
        .filter(
            public_id=public_id,
            status__in=(Checkout.Status.SUCCEEDED, Checkout.Status.PROCESSING),
        )
        .first()
    )
    if checkout is None:
        return None
    return checkout, checkout.payments.order_by("-created_at").first()


def checkout_of_document(*, public_id: str) -> Checkout | None:
    """The checkout of a quote or an invoice with its portal (logo bytes left out)."""
    return (
        Checkout.objects.select_related("portal")
        .defer("portal__logo")
        .filter(public_id=public_id, source__in=tuple(DOCUMENT_SOURCES))
        .first()
    )
