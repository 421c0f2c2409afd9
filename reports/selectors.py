"""Report selectors: revenue figures of one portal, aggregated in the database.

Every function takes the portal and a `Period` (whole days in the portal's time zone)
and runs a fixed number of queries whatever the number of payments; Python only
shapes the few aggregated rows (months, sources, products) for the page and the CSVs.

Definitions (shown on the page too):
- A payment counts in the month it was paid (portal time zone); refunds and disputes
  count in the month of the payment they belong to.
- Gross = amount charged; fees = Stripe's fees synced from balance transactions
  (application fee and dispute fees included); net = what reached the Stripe balance
  after fees, refunds and disputes, as known now (`payments.ledger.net`): a refund
  counts at once, before Stripe reports it; a payment whose fee is not synced yet
  contributes its gross minus the application fee and refunds. Payments Stripe has
  something left to report about (a fee, a refund) are counted as "awaiting fees".
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Lower, TruncMonth

from commerce import money
from commerce.catalog.models import Product
from payments.fees.services import PAID_STATUSES
from payments.ledger.net import NET_NOW, NET_PENDING
from payments.models import Payment
from subscriptions.models import BillingCycle, Subscription

MAX_MONTHS = 36


@dataclass(frozen=True)
class Period:
    start: date  # first day, inclusive
    end: date  # last day, inclusive

    @classmethod
    def default(cls, today: date) -> Period:
        start = add_months(today.replace(day=1), -11)
        return cls(start, today)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz),
        )

    def months(self) -> list[date]:
        first, months = self.start.replace(day=1), list[date]()
        while first <= self.end and len(months) < MAX_MONTHS:
            months.append(first)
            first = add_months(first, 1)
        return months


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return day.replace(year=year, month=month + 1, day=min(day.day, 28))


def _month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def portal_tz(portal) -> ZoneInfo:
    try:
        return ZoneInfo(portal.time_zone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def paid_payments(*, portal, period: Period) -> QuerySet[Payment]:
    start, end = period.bounds(portal_tz(portal))
    return Payment.objects.for_portal(portal).filter(  # type: ignore[attr-defined]
        status__in=PAID_STATUSES, paid_at__gte=start, paid_at__lt=end
    )


_FIGURES = {
    "count": Count("pk"),
    "gross": Coalesce(Sum("amount"), Value(0)),
    "fees": Coalesce(Sum("fee"), Value(0)),
    "refunds": Coalesce(Sum("refunded_amount"), Value(0)),
    "net": Coalesce(Sum(NET_NOW), Value(0)),
    "awaiting_fees": Count("pk", filter=NET_PENDING),
}


@dataclass
class Row:
    label: str
    key: str = ""
    count: int = 0
    gross: int = 0
    fees: int = 0
    refunds: int = 0
    net: int = 0
    awaiting_fees: int = 0


# --- Revenue by month and by source ---------------------------------------------------------


def revenue_by_month(*, portal, period: Period) -> list[Row]:
    """One query: gross, fees, refunds, net and counts per month of the period."""
    tz = portal_tz(portal)
    found: dict[date, Any] = {
        r["month"].date() if isinstance(r["month"], datetime) else r["month"]: r
        for r in paid_payments(portal=portal, period=period)
        .annotate(month=TruncMonth("paid_at", tzinfo=tz))
        .values("month")
        .annotate(**_FIGURES)
        .order_by("month")
    }
    rows = []
    for month in period.months():
        figures: dict = found.get(month, {})
        rows.append(
            Row(
                label=month.strftime("%b %Y"),
                key=month.isoformat()[:7],
                **{k: int(figures.get(k) or 0) for k in _FIGURES},
            )
        )
    return rows


def totals(rows: list[Row]) -> Row:
    total = Row(label="Total")
    for row in rows:
        for name in _FIGURES:
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return total


def revenue_by_source(*, portal, period: Period) -> list[Row]:
    """One query: the same figures per source (payment links, quotes, invoices,
    subscriptions); every source is listed, with zeros when it has no payments."""
    found: dict[str, Any] = {
        r["source"]: r
        for r in paid_payments(portal=portal, period=period)
        .values("source")
        .annotate(**_FIGURES)
        .order_by()
    }
    return [
        Row(
            label=str(label),
            key=value,
            **{k: int(found.get(value, {}).get(k) or 0) for k in _FIGURES},
        )
        for value, label in Payment.Source.choices
    ]


# --- Subscriptions: MRR and active subscriptions, recovery -------------------------------

# Monthly equivalent of one period's amount (MRR normalisation).
MONTHLY_FACTOR: dict[str, Decimal] = {
    "weekly": Decimal(52) / 12,
    "biweekly": Decimal(26) / 12,
    "monthly": Decimal(1),
    "quarterly": Decimal(1) / 3,
    "semiannually": Decimal(1) / 6,
    "yearly": Decimal(1) / 12,
    "every_2_years": Decimal(1) / 24,
    "every_3_years": Decimal(1) / 36,
    "every_4_years": Decimal(1) / 48,
}


@dataclass
class MrrPoint:
    label: str
    key: str
    mrr: int
    active: int


def mrr_by_month(*, portal, period: Period) -> list[MrrPoint]:
    """MRR and active subscriptions at the end of each month (today for this month).

    Method: a subscription counts in a month when it started on or before the month's
    last day and had not ended by then (`ended_at`); its per-period amount is normalised
    to a month (yearly / 12, weekly * 52 / 12 …). Pauses and past-due spells are not
    kept as history, so they do not reduce past months. One query groups subscriptions
    by frequency, start month and end month; the months are summed from those groups.
    """
    tz = portal_tz(portal)
    last_day = period.end
    groups = (
        Subscription.objects.for_portal(portal)  # type: ignore[attr-defined]
        .exclude(status=Subscription.Status.SCHEDULED)
        .filter(start_date__lte=last_day)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=period.bounds(tz)[0]))
        .annotate(start_month=TruncMonth("start_date"), end_month=TruncMonth("ended_at", tzinfo=tz))
        .values("billing_frequency", "start_month", "end_month")
        .annotate(amount=Sum("amount"), n=Count("pk"))
        .order_by()
    )
    groups = list(groups)
    points = []
    for month in period.months():
        at = min(_month_end(month), last_day)
        mrr, active = Decimal(0), 0
        for g in groups:
            ended = g["end_month"]
            if isinstance(ended, datetime):
                ended = ended.date()
            if g["start_month"] > at or (ended is not None and ended <= month):
                continue
            mrr += g["amount"] * MONTHLY_FACTOR.get(g["billing_frequency"], Decimal(1))
            active += g["n"]
        points.append(
            MrrPoint(
                label=month.strftime("%b %Y"),
                key=month.isoformat()[:7],
                mrr=money.round_half_up(mrr),
                active=active,
            )
        )
    return points


@dataclass
class Recovery:
    failed: int = 0
    recovered: int = 0
    recovered_amount: int = 0

    @property
    def rate(self) -> Decimal | None:
        if not self.failed:
            return None
        return (Decimal(self.recovered) * 100 / self.failed).quantize(Decimal("0.1"))


def failed_payment_recovery(*, portal, period: Period) -> Recovery:
    """Subscription periods whose first charge failed in the period, and how many were
    paid later by a retry or a new card (one query)."""
    start, end = period.bounds(portal_tz(portal))
    paid = Q(status=BillingCycle.Status.PAID)
    figures = (
        BillingCycle.objects.filter(portal=portal, first_failed_at__gte=start)
        .filter(first_failed_at__lt=end)
        .aggregate(
            failed=Count("pk"),
            recovered=Count("pk", filter=paid),
            recovered_amount=Coalesce(Sum("amount", filter=paid), Value(0)),
        )
    )
    return Recovery(**figures)


# --- Products: net revenue and margin ------------------------------------------------------


@dataclass
class ProductRow:
    label: str
    sku: str
    quantity: int = 0
    revenue: int = 0
    refunds: int = 0
    fees: int = 0
    net: int = 0
    cost: int | None = None
    margin: int | None = None
    product_id: int | None = None

    @property
    def margin_percent(self) -> Decimal | None:
        if self.margin is None or not self.revenue:
            return None
        return (Decimal(self.margin) * 100 / self.revenue).quantize(Decimal("0.1"))


# One row per sold line: a line of a paid checkout's frozen order (links, quotes,
# invoices; the first period of a subscription is one of them), or an item of the
# subscription a renewal paid (a billing-cycle payment: no checkout, found through the
# attempt that made its PaymentIntent). Each carries its share of the payment's gross,
# refunds and fee, in proportion to the line's total among its order's or subscription's.
_SOLD_LINES = {
    "sqlite": """
        SELECT COALESCE(json_extract(l.value, '$.sku'), '') AS sku,
               COALESCE(json_extract(l.value, '$.name'), '') AS name,
               json_extract(l.value, '$.product_id') AS product_id,
               json_extract(l.value, '$.quantity') AS quantity,
               1.0 * json_extract(l.value, '$.total') / t.total AS share,
               p.amount AS amount, p.refunded_amount AS refunded, COALESCE(p.fee, 0) AS fee
        FROM payments_payment p
        JOIN payments_checkout c ON c.id = p.checkout_id
        JOIN (SELECT c2.id AS id, SUM(json_extract(l2.value, '$.total')) AS total
              FROM payments_checkout c2, json_each(c2."order", '$.lines') l2
              WHERE c2.portal_id = %s GROUP BY c2.id) t ON t.id = c.id AND t.total > 0,
             json_each(c."order", '$.lines') l
        WHERE p.portal_id = %s AND p.status IN ({statuses})
          AND p.paid_at >= %s AND p.paid_at < %s
    """,
    "postgresql": """
        SELECT COALESCE(l.value->>'sku', '') AS sku, COALESCE(l.value->>'name', '') AS name,
               CASE WHEN jsonb_typeof(l.value->'product_id') = 'number'
                    THEN (l.value->>'product_id')::bigint END AS product_id,
               (l.value->>'quantity')::bigint AS quantity,
               (l.value->>'total')::numeric / t.total AS share,
               p.amount AS amount, p.refunded_amount AS refunded, COALESCE(p.fee, 0) AS fee
        FROM payments_payment p
        JOIN payments_checkout c ON c.id = p.checkout_id
        JOIN (SELECT c2.id AS id, SUM((l2.value->>'total')::numeric) AS total
              FROM payments_checkout c2
              CROSS JOIN LATERAL jsonb_array_elements(c2."order"->'lines') l2(value)
              WHERE c2.portal_id = %s GROUP BY c2.id) t ON t.id = c.id AND t.total > 0
        CROSS JOIN LATERAL jsonb_array_elements(c."order"->'lines') l(value)
        WHERE p.portal_id = %s AND p.status IN ({statuses})
          AND p.paid_at >= %s AND p.paid_at < %s
    """,
}
_RENEWAL_LINES = """
        SELECT i.sku AS sku, i.name AS name, i.product_id AS product_id,
               i.quantity AS quantity, {decimal}i.amount / t.total AS share,
               p.amount AS amount, p.refunded_amount AS refunded, COALESCE(p.fee, 0) AS fee
        FROM payments_payment p
        JOIN (SELECT payment_intent_id, MIN(cycle_id) AS cycle_id
              FROM subscriptions_billingattempt
              WHERE portal_id = %s AND payment_intent_id <> ''
              GROUP BY payment_intent_id) a ON a.payment_intent_id = p.payment_intent_id
        JOIN subscriptions_billingcycle bc ON bc.id = a.cycle_id
        JOIN subscriptions_subscriptionitem i ON i.subscription_id = bc.subscription_id
        JOIN (SELECT subscription_id, SUM(amount) AS total
              FROM subscriptions_subscriptionitem WHERE portal_id = %s
              GROUP BY subscription_id) t ON t.subscription_id = bc.subscription_id
             AND t.total > 0
        WHERE p.portal_id = %s AND p.checkout_id IS NULL AND p.source = %s
          AND p.status IN ({statuses}) AND p.paid_at >= %s AND p.paid_at < %s
"""
_PRODUCT_SQL = """
    SELECT sku, name, product_id, SUM(quantity), SUM(amount * share), SUM(refunded * share),
           SUM(fee * share)
    FROM ({checkouts} UNION ALL {renewals}) sold
    GROUP BY sku, name, product_id
"""


def product_margins(*, portal, period: Period) -> list[ProductRow]:
    """Net revenue and margin per product, from every paid line of the period: the
    frozen order lines of paid checkouts and the items of renewed subscriptions (two
    queries: the lines aggregated in SQL, then the products they match).

    Each payment's gross, refunds and Stripe fee are shared among its lines in
    proportion to the lines' totals (a renewal's among its subscription's items by their
    per-period amounts); the summed fee shares are then rounded with `money.allocate` so
    the products' fees add up to the cents actually charged. Documents keep a snapshot,
    not the product, so a line is matched to the portal's catalog by the product id when
    the snapshot carries one, else by SKU (case-insensitive), else, for a line without a
    SKU, by name when exactly one product of the portal has it. Lines matched to the same
    product make one row; cost = quantity * the product's unit cost (unknown without one).
    """
    sql = _SOLD_LINES.get(connection.vendor)
    if sql is None:
        return []
    start, end = period.bounds(portal_tz(portal))
    statuses = [str(s) for s in PAID_STATUSES]
    marks = ", ".join(["%s"] * len(statuses))
    renewals = _RENEWAL_LINES.format(
        statuses=marks, decimal="1.0 * " if connection.vendor == "sqlite" else "1.0::numeric * "
    )
    query = _PRODUCT_SQL.format(checkouts=sql.format(statuses=marks), renewals=renewals)
    params = [portal.pk, portal.pk, *statuses, start, end]
    params += [portal.pk, portal.pk, portal.pk, Payment.Source.SUBSCRIPTION.value]
    params += [*statuses, start, end]
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        found = [_SoldGroup(*row) for row in cursor.fetchall()]
    if not found:
        return []
    match = _ProductMatch(portal, found)
    rows: dict[tuple[int, str, str], ProductRow] = {}
    shares: dict[tuple[int, str, str], list[Decimal]] = {}
    for group in found:
        product = match.product_for(group)
        # One row per product; unmatched lines by SKU, or by name when they have none.
        if product is not None:
            key = (product.pk, "", "")
        else:
            key = (0, group.sku.lower(), "" if group.sku else group.name)
        row = rows.get(key)
        if row is None:
            row = rows[key] = ProductRow(
                label=product.name if product else (group.name or "Unnamed line"),
                sku=product.sku if product else group.sku,
                product_id=product.pk if product else None,
                cost=0 if product and product.unit_cost is not None else None,
            )
            shares[key] = [Decimal(0), Decimal(0), Decimal(0)]
        row.quantity += group.quantity
        if row.cost is not None and product is not None and product.unit_cost is not None:
            row.cost += group.quantity * product.unit_cost
        for i, value in enumerate((group.revenue, group.refunds, group.fee)):
            shares[key][i] += value
    ordered = list(rows)
    fee_total = sum((shares[k][2] for k in ordered), Decimal(0))
    fees = money.allocate(
        money.round_half_up(fee_total),
        [money.round_half_up(shares[k][2] * 10_000) for k in ordered],
    )
    for key, fee in zip(ordered, fees, strict=True):
        row = rows[key]
        row.revenue = money.round_half_up(shares[key][0])
        row.refunds = money.round_half_up(shares[key][1])
        row.fees = fee
        row.net = row.revenue - row.refunds - row.fees
        row.margin = row.net - row.cost if row.cost is not None else None
    return sorted(rows.values(), key=lambda r: (-r.net, r.label))


@dataclass
class _SoldGroup:
    """One aggregated group of sold lines (same SKU, name and product id)."""

    sku: str
    name: str
    product_id: int | None
    quantity: int
    revenue: Decimal
    refunds: Decimal
    fee: Decimal

    def __post_init__(self) -> None:
        self.sku = self.sku or ""
        self.name = self.name or ""
        try:
            self.product_id = int(self.product_id) if self.product_id is not None else None
        except (TypeError, ValueError):
            self.product_id = None
        self.quantity = int(self.quantity or 0)
        self.revenue = Decimal(str(self.revenue or 0))
        self.refunds = Decimal(str(self.refunds or 0))
        self.fee = Decimal(str(self.fee or 0))


class _ProductMatch:
    """The portal's products that the sold lines name, read in one query."""

    def __init__(self, portal, groups: list[_SoldGroup]) -> None:
        ids = {g.product_id for g in groups if g.product_id is not None}
        skus = {g.sku.lower() for g in groups if g.sku}
        names = {g.name.lower() for g in groups if not g.sku and g.name}
        products = list(
            Product.objects.for_portal(portal)  # type: ignore[attr-defined]
            .annotate(sku_key=Lower("sku"), name_key=Lower("name"))
            .filter(Q(pk__in=ids) | Q(sku_key__in=skus) | Q(name_key__in=names))
        )
        self.by_id = {p.pk: p for p in products}
        self.by_sku = {p.sku.lower(): p for p in products if p.sku}
        self.by_name: dict[str, list[Product]] = {}
        for p in products:
            self.by_name.setdefault(p.name.lower(), []).append(p)

    def product_for(self, group: _SoldGroup) -> Product | None:
        if group.product_id is not None and group.product_id in self.by_id:
            return self.by_id[group.product_id]
        if group.sku:
            return self.by_sku.get(group.sku.lower())
        named = self.by_name.get(group.name.lower(), [])
        return named[0] if len(named) == 1 else None


# --- Everything for the page ------------------------------------------------------------


@dataclass
class Report:
    period: Period
    months: list[Row]
    total: Row
    sources: list[Row]
    mrr: list[MrrPoint]
    recovery: Recovery
    products: list[ProductRow]


def report_for_portal(*, portal, period: Period) -> Report:
    months = revenue_by_month(portal=portal, period=period)
    return Report(
        period=period,
        months=months,
        total=totals(months),
        sources=revenue_by_source(portal=portal, period=period),
        mrr=mrr_by_month(portal=portal, period=period),
        recovery=failed_payment_recovery(portal=portal, period=period),
        products=product_margins(portal=portal, period=period),
    )
