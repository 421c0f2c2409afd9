"""Reads of the payouts tool: the list, and one payout itemised and reconciled.

Both run a constant number of queries whatever their size: the list is one page query
and a count; the detail is the payout, its lines with their payments and refunds, and
one query per kind of payment origin present (payments/payouts/origins.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from commerce.portals.access import for_portal, get_for_portal
from commerce.portals.models import Portal
from payments.models import Payment
from payments.payouts.models import Payout, PayoutLine
from payments.payouts.origins import PaymentOrigin, payment_origins

PAYOUTS_PAGE_SIZE = 25


@dataclass(frozen=True, slots=True)
class PayoutFilters:
    status: str = ""
    arrival_from: date | None = None
    arrival_to: date | None = None

    @property
    def active(self) -> bool:
        return any((self.status, self.arrival_from, self.arrival_to))


def payout_search(*, portal: Portal, filters: PayoutFilters) -> QuerySet[Payout]:
    payouts = for_portal(Payout.objects.all(), portal)
    if filters.status:
        payouts = payouts.filter(status=filters.status)
    if filters.arrival_from:
        payouts = payouts.filter(arrival_date__gte=filters.arrival_from)
    if filters.arrival_to:
        payouts = payouts.filter(arrival_date__lte=filters.arrival_to)
    return payouts.order_by("-arrival_date", "-stripe_created", "-id")


def payout_list_page(
    *, portal: Portal, filters: PayoutFilters, page_number: str | int | None = 1
) -> Page:
    return Paginator(payout_search(portal=portal, filters=filters), PAYOUTS_PAGE_SIZE).get_page(
        page_number
    )


def portal_has_payouts(portal: Portal) -> bool:
    return for_portal(Payout.objects.all(), portal).exists()


@dataclass
class PayoutRow:
    line: PayoutLine
    payment: Payment | None
    origin: PaymentOrigin | None
    returned: Payout | None = None  # the failed payout a `payout_failure` line paid back


# The reconciliation's rows, one per kind of line present.
KIND_TOTAL_LABELS: dict[str, str] = {
    PayoutLine.Kind.PAYMENT: "Payments",
    PayoutLine.Kind.REFUND: "Refunds",
    PayoutLine.Kind.DISPUTE: "Disputes",
    PayoutLine.Kind.FEE: "Fee charges",
    PayoutLine.Kind.PAYOUT_FAILURE: "Returned payouts",
    PayoutLine.Kind.OTHER: "Other",
}


@dataclass
class KindTotal:
    kind: str
    label: str
    count: int = 0
    gross: int = 0
    fee: int = 0
    net: int = 0


@dataclass
class PayoutDetail:
    payout: Payout
    rows: list[PayoutRow]
    totals: list[KindTotal]
    gross: int
    fee: int
    net: int
    unknown: list[PayoutLine] = field(default_factory=list)
    repaid_in: Payout | None = None  # a failed payout: the later payout that paid it back

    @property
    def difference(self) -> int:
        return self.payout.amount - self.net

    @property
    def adds_up(self) -> bool:
        return not self.payout.lines_pending and self.difference == 0 and not self.unknown


def payout_for_detail(*, portal: Portal, pk: int) -> Payout:
    """One payout of `portal`; another portal's is a 404."""
    return get_for_portal(Payout.objects.all(), portal, pk=pk)


def payout_detail(*, payout: Payout) -> PayoutDetail:
    """Every line of the payout with the hub record behind it, totals per kind, and what
    the hub does not know."""
    lines = list(
        PayoutLine.objects.filter(payout=payout, portal_id=payout.portal_id)
        .select_related("payment__checkout", "payment__contact", "refund")
        .order_by("stripe_created", "id")
    )
    payments = {line.payment.pk: line.payment for line in lines if line.payment is not None}
    origins = payment_origins(list(payments.values()))
    failed_ids = [line.source_id for line in lines if line.kind == PayoutLine.Kind.PAYOUT_FAILURE]
    returned = {
        p.stripe_id: p
        for p in Payout.objects.filter(
            portal_id=payout.portal_id, account_id=payout.account_id, stripe_id__in=failed_ids
        )
    }
    totals: dict[str, KindTotal] = {}
    rows = []
    for line in lines:
        total = totals.setdefault(line.kind, KindTotal(line.kind, KIND_TOTAL_LABELS[line.kind]))
        total.count += 1
        total.gross += line.amount
        total.fee += line.fee
        total.net += line.net
        payment = line.payment
        origin = origins.get(payment.pk) if payment else None
        rows.append(PayoutRow(line, payment, origin, returned.get(line.source_id)))
    repaid_in = None
    if payout.status == Payout.Status.FAILED:
        back = (
            PayoutLine.objects.filter(
                portal_id=payout.portal_id,
                payout__account_id=payout.account_id,
                kind=PayoutLine.Kind.PAYOUT_FAILURE,
                source_id=payout.stripe_id,
            )
            .select_related("payout")
            .first()
        )
        repaid_in = back.payout if back else None
    order = [kind for kind, _ in PayoutLine.Kind.choices]
    return PayoutDetail(
        payout=payout,
        rows=rows,
        totals=sorted(totals.values(), key=lambda t: order.index(t.kind)),
        gross=sum(line.amount for line in lines),
        fee=sum(line.fee for line in lines),
        net=sum(line.net for line in lines),
        unknown=[line for line in lines if not line.known],
        repaid_in=repaid_in,
    )
