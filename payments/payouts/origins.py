"""Where a payment came from: the registry that lets a payout line link to the invoice,
quote, payment link or subscription behind its payment.

payments must not import the apps above it, so each app registers, in its
`AppConfig.ready()`, how to describe the payments of its `Payment.source`, as it
registers its checkout payable (payments/checkout/payables.py). A resolver takes every
payment of its source at once and answers with one query, so a payout's detail costs the
same number of queries whatever its number of lines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from payments.models import Payment


@dataclass(frozen=True)
class PaymentOrigin:
    kind: str  # "Invoice", "Quote", "Payment link", "Subscription"
    label: str  # e.g. "INV-0042"
    url: str


# payments (with `checkout` loaded) → {payment id: origin}; one query at most.
OriginResolver = Callable[[Sequence[Payment]], dict[int, PaymentOrigin]]

ORIGIN_RESOLVERS: dict[str, OriginResolver] = {}


def register_payment_origin(*, source: str, resolve: OriginResolver) -> None:
    """Registers how to describe payments whose `Payment.source` is `source`."""
    known = ORIGIN_RESOLVERS.get(source)
    if known is not None and known != resolve:
        raise RuntimeError(f"two payment origins for source {source!r}")
    ORIGIN_RESOLVERS[source] = resolve


def payment_origins(payments: Sequence[Payment]) -> dict[int, PaymentOrigin]:
    """The origin of each payment that has one: one resolver call per source present."""
    by_source: dict[str, list[Payment]] = {}
    for payment in payments:
        by_source.setdefault(payment.source, []).append(payment)
    out: dict[int, PaymentOrigin] = {}
    for source, group in sorted(by_source.items()):
        resolve = ORIGIN_RESOLVERS.get(source)
        if resolve is not None:
            out.update(resolve(group))
    return out


def payment_link_origins(payments: Sequence[Payment]) -> dict[int, PaymentOrigin]:
    """payments' own kind: the payment link a checkout paid (one query)."""
    from django.urls import reverse

    from payments.models import PaymentLink

    link_ids = {p.checkout.payment_link_id for p in payments if p.checkout is not None}
    links = {
        link.pk: link
        for link in PaymentLink.objects.filter(pk__in=[i for i in link_ids if i]).only("name")
    }
    out = {}
    for payment in payments:
        link_id = payment.checkout.payment_link_id if payment.checkout else None
        link = links.get(link_id) if link_id else None
        if link is not None:
            url = reverse("payment_links:detail", args=[link.pk])
            out[payment.pk] = PaymentOrigin("Payment link", link.name, url)
    return out
