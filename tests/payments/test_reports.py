"""The Reports page: figures against hand-computed totals, CSVs, date range, access, and
a query count that does not grow with the number of payments."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payments.models import Checkout, Payment
from subscriptions.models import Subscription
from tests.factories import (
    CheckoutFactory,
    ContactFactory,
    PaymentFactory,
    ProductFactory,
    SubscriptionFactory,
    SubscriptionItemFactory,
)

_seq = itertools.count(1)
URL = "/reports/"


def pay(portal, *, paid: datetime, amount: int, fee: int | None, refunded: int = 0, **fields):
    """A succeeded payment of `amount`, its fee synced (`fee=None`: not yet)."""
    return PaymentFactory(
        portal=portal,
        amount=amount,
        refunded_amount=refunded,
        fee=fee,
        net=None if fee is None else amount - fee - refunded,
        stripe_account_id="acct_reports",
        paid_at=paid,
        **fields,
    )


def at(year: int, month: int, day: int = 15) -> datetime:
    return datetime(year, month, day, 17, 0, tzinfo=UTC)


def download(client, figure: str, **params) -> list[list[str]]:
    response = client.get(URL, {**params, "download": figure})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


RANGE = {"start": "2026-01-01", "end": "2026-03-31"}


@pytest.fixture
def figures(portal):
    """January: 100.00 (fee 3.20) and 50.00 refunded 10.00 (fee 1.75); February: a quote
    of 200.00 awaiting its fee; March: an invoice of 80.00 (fee 2.62); plus a failed
    payment and a payment outside the range, which must not count."""
    pay(portal, paid=at(2026, 1, 5), amount=10_000, fee=320)
    pay(
        portal,
        paid=at(2026, 1, 20),
        amount=5_000,
        fee=175,
        refunded=1_000,
        status=Payment.Status.PARTIALLY_REFUNDED,
    )
    pay(portal, paid=at(2026, 2, 10), amount=20_000, fee=None, source=Payment.Source.QUOTE)
    pay(portal, paid=at(2026, 3, 3), amount=8_000, fee=262, source=Payment.Source.INVOICE)
    pay(portal, paid=at(2026, 3, 4), amount=9_999, fee=None, status=Payment.Status.FAILED)
    pay(
        portal,
        paid=at(
            2025,
            12,
            31,
        ),
        amount=7_777,
        fee=100,
    )


def test_monthly_figures_match_hand_computed_totals(billing_client, figures):
    response = billing_client.get(URL, RANGE)

    report = response.context["report"]
    assert [(r.key, r.count, r.gross, r.fees, r.refunds, r.net) for r in report.months] == [
        ("2026-01", 2, 15_000, 495, 1_000, 13_505),
        # Awaiting its fee: net counts gross less refunds, and it is flagged.
        ("2026-02", 1, 20_000, 0, 0, 20_000),
        ("2026-03", 1, 8_000, 262, 0, 7_738),
    ]
    assert report.months[1].awaiting_fees == 1
    assert (report.total.gross, report.total.fees, report.total.net) == (43_000, 757, 41_243)
    body = response.content.decode()
    assert "$430.00" in body and "$7.57" in body and "$412.43" in body
    assert "<svg" in body and "1 pending" in body


def test_revenue_by_source_lists_every_source(billing_client, figures):
    sources = billing_client.get(URL, RANGE).context["report"].sources
    assert [(s.key, s.count, s.gross, s.net) for s in sources] == [
        ("payment_link", 2, 15_000, 13_505),
        ("quote", 1, 20_000, 20_000),
        ("invoice", 1, 8_000, 7_738),
        ("subscription", 0, 0, 0),
    ]


def test_csv_downloads_have_headers_and_values(billing_client, figures):
    monthly = download(billing_client, "monthly", **RANGE)
    assert monthly[0] == ["month", "payments", "gross", "fees", "refunds", "net", "awaiting_fees"]
    assert monthly[1] == ["2026-01", "2", "150.00", "4.95", "10.00", "135.05", "0"]
    assert monthly[2] == ["2026-02", "1", "200.00", "0.00", "0.00", "200.00", "1"]
    sources = download(billing_client, "sources", **RANGE)
    assert sources[0][0] == "source" and sources[3] == [
        "invoice", "1", "80.00", "2.62", "0.00", "77.38", "0"
    ]  # fmt: skip
    assert download(billing_client, "mrr", **RANGE)[0] == ["month", "mrr", "active_subscriptions"]
    assert download(billing_client, "products", **RANGE)[0][:4] == [
        "product", "sku", "quantity", "revenue"
    ]  # fmt: skip
    assert download(billing_client, "recovery", **RANGE)[0][0] == "failed_periods"


def test_product_margin_shares_fees_by_line_total_and_uses_unit_cost(billing_client, portal):
    ProductFactory(portal=portal, name="Widget", sku="W-1", unit_price=3_000, unit_cost=1_000)
    lines = [
        {"name": "Widget", "sku": "W-1", "quantity": 2, "unit_amount": 3_000, "total": 6_000},
        {"name": "Setup", "sku": "", "quantity": 1, "unit_amount": 4_000, "total": 4_000},
    ]
    checkout = CheckoutFactory(
        portal=portal, amount=10_000, order={"lines": lines, "total": 10_000}
    )
    pay(portal, paid=at(2026, 2, 1), amount=10_000, fee=320, refunded=1_000, checkout=checkout)

    products = billing_client.get(URL, RANGE).context["report"].products

    widget, setup = products
    assert (widget.label, widget.quantity, widget.revenue, widget.refunds) == (
        "Widget",
        2,
        6_000,
        600,
    )
    assert (widget.fees, setup.fees) == (192, 128)  # 3.20 split 60/40, summing exactly
    assert widget.net == 6_000 - 600 - 192 and widget.cost == 2_000
    assert widget.margin == widget.net - 2_000 and str(widget.margin_percent) == "53.5"
    assert setup.cost is None and setup.margin is None
    rows = download(billing_client, "products", **RANGE)
    assert rows[1] == [
        "Widget",
        "W-1",
        "2",
        "60.00",
        "6.00",
        "1.92",
        "52.08",
        "20.00",
        "32.08",
        "53.5",
    ]


def checkout_paying(portal, lines: list[dict], *, paid: datetime, fee: int, refunded: int = 0):
    """A paid checkout of `lines` (name, sku, quantity, unit_amount), frozen as checkout
    freezes orders: each line keeps its total."""
    lines = [{**line, "total": line["quantity"] * line["unit_amount"]} for line in lines]
    total = sum(line["total"] for line in lines)
    checkout = CheckoutFactory(portal=portal, amount=total, order={"lines": lines, "total": total})
    return pay(portal, paid=paid, amount=total, fee=fee, refunded=refunded, checkout=checkout)


def renewal(subscription, period: int, *, paid: datetime, fee: int, refunded: int = 0, **fields):
    """A billing-cycle payment as the billing run records it: no checkout, its
    PaymentIntent on the cycle's attempt."""
    from subscriptions.models import BillingAttempt, BillingCycle

    payment = pay(
        subscription.portal,
        paid=paid,
        amount=subscription.amount,
        fee=fee,
        refunded=refunded,
        source=Payment.Source.SUBSCRIPTION,
        **fields,
    )
    cycle = BillingCycle.objects.create(
        portal=subscription.portal,
        subscription=subscription,
        period=period,
        period_start=paid.date(),
        amount=subscription.amount,
        status=BillingCycle.Status.PAID,
    )
    BillingAttempt.objects.create(
        portal=subscription.portal,
        cycle=cycle,
        number=1,
        idempotency_key=f"cycle-{cycle.pk}-1",
        status=BillingAttempt.Status.SUCCEEDED,
        payment_intent_id=payment.payment_intent_id,
    )
    return payment


def test_product_margin_covers_renewals_and_matches_lines_without_a_sku(
    billing_client, portal, other_portal
):
    ProductFactory(portal=portal, name="Widget", sku="W-1", unit_cost=1_000)
    ProductFactory(portal=portal, name="Consulting hour", sku="", unit_cost=5_000)
    ProductFactory(portal=portal, name="Growth plan", sku="PLAN-G", unit_cost=900)
    support = ProductFactory(portal=portal, name="Premium support", sku="", unit_cost=2_000)
    ProductFactory(portal=portal, name="Setup", sku="", unit_cost=100)
    ProductFactory(portal=portal, name="Setup", sku="", unit_cost=200)  # a name twice
    ProductFactory(portal=other_portal, name="Consulting hour", sku="")  # not ours
    # Given February's checkouts: Widget 2 x 30.00 + Consulting hour (no SKU) 40.00, fee
    # 3.20, 10.00 refunded; Growth plan 3 x 49.00 (SKU in lower case), fee 4.56; and
    # "Setup" (no SKU, two products of that name), fee 1.75
    checkout_paying(
        portal,
        [
            {"name": "Widget", "sku": "W-1", "quantity": 2, "unit_amount": 3_000},
            {"name": "Consulting hour", "sku": "", "quantity": 1, "unit_amount": 4_000},
        ],
        paid=at(2026, 2, 1),
        fee=320,
        refunded=1_000,
    )
    checkout_paying(
        portal,
        [{"name": "Growth plan", "sku": "plan-g", "quantity": 3, "unit_amount": 4_900}],
        paid=at(2026, 2, 2),
        fee=456,
    )
    checkout_paying(
        portal,
        [{"name": "Setup", "sku": "", "quantity": 1, "unit_amount": 5_000}],
        paid=at(2026, 2, 3),
        fee=175,
    )
    # And a subscription of Growth plan x 3 (147.00) and the support product (53.00, its
    # snapshot without SKU and under an old name, but carrying the product), renewed in
    # February (fee 6.10) and March (fee 6.10, 20.00 refunded); a renewal in April and a
    # failed one in March are outside the figures
    subscription = SubscriptionFactory(
        portal=portal, amount=20_000, start_date=date(2026, 1, 1), item=None
    )
    for position, (name, sku, product, quantity, amount) in enumerate(
        [
            ("Growth plan", "PLAN-G", None, 3, 14_700),
            ("Support (old name)", "", support, 1, 5_300),
        ]
    ):
        SubscriptionItemFactory(
            subscription=subscription,
            product=product,
            name=name,
            sku=sku,
            quantity=quantity,
            unit_amount=amount // quantity,
            amount=amount,
            position=position,
        )
    renewal(subscription, 2, paid=at(2026, 2, 1), fee=610)
    renewal(
        subscription,
        3,
        paid=at(2026, 3, 1),
        fee=610,
        refunded=2_000,
        status=Payment.Status.PARTIALLY_REFUNDED,
    )
    renewal(subscription, 4, paid=at(2026, 4, 1), fee=610)
    renewal(subscription, 5, paid=at(2026, 3, 20), fee=None, status=Payment.Status.FAILED)

    products = billing_client.get(URL, RANGE).context["report"].products

    # Then, by hand: Growth plan sells 3 + 2 x 3 = 9 at 49.00 (a renewal's share of its
    # payment is 147/200 = 0.735: refunds 0.735 x 20.00 = 14.70, fees 4.56 + 0.735 x
    # 12.20 = 13.527); support 2 x 53.00 (share 0.265: refunds 5.30, fees 3.233); the
    # fees, 21.71 in all, are rounded to 13.53 and 3.23 so that they add up exactly
    assert [
        (p.label, p.sku, p.quantity, p.revenue, p.refunds, p.fees, p.net, p.cost, p.margin)
        for p in products
    ] == [
        ("Growth plan", "PLAN-G", 9, 44_100, 1_470, 1_353, 41_277, 8_100, 33_177),
        ("Premium support", "", 2, 10_600, 530, 323, 9_747, 4_000, 5_747),
        ("Widget", "W-1", 2, 6_000, 600, 192, 5_208, 2_000, 3_208),
        ("Setup", "", 1, 5_000, 0, 175, 4_825, None, None),
        ("Consulting hour", "", 1, 4_000, 400, 128, 3_472, 5_000, -1_528),
    ]
    assert sum(p.fees for p in products) == 320 + 456 + 175 + 610 + 610
    assert products[0].product_id and products[1].product_id == support.pk
    assert products[3].product_id is None  # ambiguous name: no product, no cost
    rows = download(billing_client, "products", **RANGE)
    assert rows[1] == [
        "Growth plan", "PLAN-G", "9", "441.00", "14.70", "13.53", "412.77", "81.00", "331.77",
        "75.2",
    ]  # fmt: skip


def test_mrr_normalises_periods_and_follows_start_and_end(billing_client, portal):
    contact = ContactFactory(portal=portal)

    def subscription(frequency, amount, start, ended=None):
        return SubscriptionFactory(
            portal=portal,
            contact=contact,
            billing_frequency=frequency,
            amount=amount,
            start_date=start,
            ended_at=ended,
            status=Subscription.Status.CANCELLED if ended else Subscription.Status.ACTIVE,
        )

    subscription("monthly", 5_000, date(2026, 1, 10))
    subscription("yearly", 120_000, date(2026, 2, 1))
    subscription("quarterly", 3_000, date(2026, 1, 1), ended=at(2026, 3, 2))

    mrr = billing_client.get(URL, RANGE).context["report"].mrr

    assert [(p.key, p.mrr, p.active) for p in mrr] == [
        ("2026-01", 5_000 + 1_000, 2),
        ("2026-02", 5_000 + 10_000 + 1_000, 3),
        ("2026-03", 5_000 + 10_000, 2),
    ]


def test_recovery_counts_failed_periods_later_paid(billing_client, portal, figures):
    from subscriptions.models import BillingCycle

    contact = ContactFactory(portal=portal)
    subscription = SubscriptionFactory(
        portal=portal, contact=contact, amount=5_000, start_date=date(2025, 12, 1)
    )

    def cycle(period, status, failed_at=None):
        return BillingCycle.objects.create(
            portal=portal,
            subscription=subscription,
            period=period,
            period_start=date(2026, period, 1),
            amount=5_000,
            status=status,
            first_failed_at=failed_at,
        )

    cycle(1, BillingCycle.Status.PAID)  # never failed: not counted
    cycle(2, BillingCycle.Status.PAID, failed_at=at(2026, 2, 2))  # failed, then recovered
    cycle(3, BillingCycle.Status.FAILED, failed_at=at(2026, 3, 2))  # never recovered
    cycle(4, BillingCycle.Status.RETRYING, failed_at=at(2026, 4, 2))  # outside the range

    body = billing_client.get(URL, RANGE).content.decode()
    assert "50.0%" in body
    assert "1 of 2 billing periods" in body
    assert download(billing_client, "recovery", **RANGE) == [
        ["failed_periods", "recovered", "recovered_amount", "recovery_rate_percent"],
        ["2", "1", "50.00", "50.0"],
    ]


def test_a_bad_date_range_falls_back_with_a_message(billing_client, figures):
    response = billing_client.get(URL, {"start": "2026-03-01", "end": "2026-01-01"})
    assert response.status_code == 200
    assert "end date must be on or after" in response.content.decode()
    response = billing_client.get(URL, {"start": "not a date"})
    assert response.status_code == 200


def test_reports_count_only_the_portals_own_payments(billing_client, figures, other_portal):
    pay(other_portal, paid=at(2026, 1, 6), amount=999_999, fee=1)
    report = billing_client.get(URL, RANGE).context["report"]
    assert report.total.gross == 43_000


def test_sales_reps_cannot_see_or_download_reports(rep_client):
    assert rep_client.get(URL).status_code == 403
    assert rep_client.get(URL, {"download": "monthly"}).status_code == 403


def test_the_page_answers_in_constant_queries_whatever_the_payments(billing_client, portal):
    """10 payments, then 2,000 more (bulk): the same number of queries. The page is
    aggregated in the database; 100,000 payments on PostgreSQL in the test below."""

    def bulk(n: int) -> None:
        Payment.objects.bulk_create(
            Payment(
                portal=portal,
                source=list(Payment.Source)[i % 4],
                status=Payment.Status.SUCCEEDED,
                amount=1_000 + i,
                fee=59,
                net=941 + i,
                stripe_account_id="acct_reports",
                payment_intent_id=f"pi_bulk{next(_seq)}_{i}",
                charge_id=f"ch_bulk_{i}",
                paid_at=at(2026, 1 + i % 3, 1 + i % 27),
            )
            for i in range(n)
        )

    bulk(10)
    billing_client.get(URL, RANGE)  # warm: session, portal and permission caches
    with CaptureQueriesContext(connection) as small:
        assert billing_client.get(URL, RANGE).status_code == 200
    bulk(2_000)
    with CaptureQueriesContext(connection) as large:
        response = billing_client.get(URL, RANGE)
    assert response.context["report"].total.count == 2_010
    assert len(large.captured_queries) == len(small.captured_queries)


# --- 100,000 payments (PostgreSQL) ---------------------------------------------------------

YEAR_RANGE = {"start": "2025-01-01", "end": "2025-12-31"}
SCALE_SOURCES = list(Payment.Source)


def scale_payment(portal, i: int, checkout: Checkout, expected: dict) -> Payment:
    """Payment number `i` of the scale test, spread over 2025's months, the four sources
    and the statuses; what it adds to the report is added to `expected` as it is made."""
    month, source = 1 + i % 12, SCALE_SOURCES[(i // 12) % 4]
    amount = 1_000 + i % 997
    status, refunded, fee = Payment.Status.SUCCEEDED, 0, amount * 29 // 1000 + 30
    year = 2025
    kind = i % 20
    if kind == 0:
        status = Payment.Status.FAILED  # never counts
    elif kind == 1:
        status, refunded = Payment.Status.PARTIALLY_REFUNDED, amount // 4
    elif kind == 2:
        fee = None  # awaiting its fee: net counts gross less refunds
    elif kind == 3:
        year = 2024  # outside the range
    net = None if fee is None else amount - fee - refunded
    itemised = i % 1000 == 5
    if status != Payment.Status.FAILED and year == 2025:
        for key in (f"2025-{month:02d}", source.value, "total"):
            row = expected.setdefault(key, dict.fromkeys(_FIGURE_NAMES, 0))
            row["count"] += 1
            row["gross"] += amount
            row["fees"] += fee or 0
            row["refunds"] += refunded
            row["net"] += amount - refunded if net is None else net
            row["awaiting_fees"] += fee is None
        if itemised:
            widget = expected.setdefault("widget", {"quantity": 0, "gross": 0, "refunds": 0})
            widget["quantity"] += 2
            widget["gross"] += amount
            widget["refunds"] += refunded
    return Payment(
        portal=portal,
        source=source,
        status=status,
        amount=amount,
        refunded_amount=refunded,
        fee=fee,
        net=net,
        stripe_account_id="acct_reports",
        payment_intent_id=f"pi_scale{i:06d}",
        charge_id=f"ch_scale{i:06d}",
        checkout=checkout if itemised else None,
        paid_at=datetime(year, month, 1 + i % 27, 12, 0, tzinfo=UTC),
    )


_FIGURE_NAMES = ("count", "gross", "fees", "refunds", "net", "awaiting_fees")


def test_a_portal_with_100000_payments_answers_in_constant_queries_with_exact_figures(
    postgres, billing_client, portal
):
    from decimal import ROUND_HALF_UP, Decimal

    # Given 10 payments of every kind, one order's lines (a widget 2 x 3.00 and a 4.00
    # setup) on some of them
    ProductFactory(portal=portal, name="Widget", sku="W-1", unit_cost=100)
    lines = [
        {"name": "Widget", "sku": "W-1", "quantity": 2, "unit_amount": 300, "total": 600},
        {"name": "Setup", "sku": "", "quantity": 1, "unit_amount": 400, "total": 400},
    ]
    checkout = CheckoutFactory(portal=portal, amount=1_000, order={"lines": lines, "total": 1_000})
    expected: dict = {}
    Payment.objects.bulk_create(scale_payment(portal, i, checkout, expected) for i in range(10))
    downloads = ("monthly", "sources", "mrr", "products", "recovery")

    def count_queries() -> list[int]:
        counts = []
        for params in [YEAR_RANGE] + [{**YEAR_RANGE, "download": f} for f in downloads]:
            with CaptureQueriesContext(connection) as queries:
                assert billing_client.get(URL, params).status_code == 200
            counts.append(len(queries.captured_queries))
        return counts

    billing_client.get(URL, YEAR_RANGE)  # warm: session, portal and permission caches
    small = count_queries()

    # When the portal has 100,000
    for batch in range(10, 100_000, 5_000):
        Payment.objects.bulk_create(
            scale_payment(portal, i, checkout, expected)
            for i in range(batch, min(batch + 5_000, 100_000))
        )
    assert Payment.objects.filter(portal=portal).count() == 100_000

    # Then the page and every CSV take as many queries as with 10
    assert count_queries() == small
    # And the figures are the sums of what was inserted
    report = billing_client.get(URL, YEAR_RANGE).context["report"]
    figures = [(r.key, *(getattr(r, n) for n in _FIGURE_NAMES)) for r in report.months]
    assert figures == [(f"2025-{m:02d}", *expected[f"2025-{m:02d}"].values()) for m in range(1, 13)]
    assert [(r.key, *(getattr(r, n) for n in _FIGURE_NAMES)) for r in report.sources] == [
        (s.value, *expected[s.value].values()) for s in SCALE_SOURCES
    ]
    assert tuple(getattr(report.total, n) for n in _FIGURE_NAMES) == tuple(
        expected["total"].values()
    )
    assert report.total.count == 100_000 - 5_000 - 5_000  # less the failed and the 2024 ones
    monthly = download(billing_client, "monthly", **YEAR_RANGE)
    march = expected["2025-03"]
    assert monthly[3] == [
        "2025-03",
        str(march["count"]),
        *(f"{march[n] / 100:.2f}" for n in ("gross", "fees", "refunds", "net")),
        str(march["awaiting_fees"]),
    ]
    widget = next(p for p in report.products if p.sku == "W-1")
    share = Decimal("0.6")  # 6.00 of the order's 10.00
    widget_expected = expected["widget"]
    assert (widget.quantity, widget.revenue, widget.refunds) == (
        widget_expected["quantity"],
        int((widget_expected["gross"] * share).quantize(Decimal(1), ROUND_HALF_UP)),
        int((widget_expected["refunds"] * share).quantize(Decimal(1), ROUND_HALF_UP)),
    )
    assert widget.cost == widget_expected["quantity"] * 100
