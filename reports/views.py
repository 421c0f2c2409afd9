"""The Reports page: revenue by month (server-rendered SVG chart and table), by source,
MRR and active subscriptions, failed-payment recovery, product margins, fee sync health,
and a CSV download of every figure (`?download=<figure>`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from commerce import money
from commerce.clock import hub_today
from commerce.csv import CsvWriter
from commerce.portals.access import current_portal, has_permission, portal_view
from payments.fees import checks as fee_checks
from reports import selectors as reports

FIGURES = ("monthly", "sources", "mrr", "products", "recovery")


class ReportFilterForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def period(self, today: date) -> reports.Period:
        default = reports.Period.default(today)
        if not self.is_valid():
            return default
        start = self.cleaned_data.get("start") or default.start
        end = self.cleaned_data.get("end") or default.end
        if start > end:
            self.add_error("end", "The end date must be on or after the start date.")
            return default
        if reports.add_months(start.replace(day=1), reports.MAX_MONTHS) <= end:
            self.add_error("start", f"Choose at most {reports.MAX_MONTHS} months.")
            return default
        return reports.Period(start, end)


@portal_view("reports.view")
def index(request: HttpRequest) -> HttpResponse:
    portal = current_portal(request)
    today = hub_today(reports.portal_tz(portal))
    form = ReportFilterForm(request.GET or None)
    period = form.period(today)
    if not form.is_bound:
        form = ReportFilterForm(initial={"start": period.start, "end": period.end})
    report = reports.report_for_portal(portal=portal, period=period)
    figure = request.GET.get("download")
    if figure in FIGURES:
        return _csv(figure, report, portal.currency)
    context = {
        "form": form,
        "report": report,
        "chart": monthly_chart(report.months),
        "mrr_chart": mrr_chart(report.mrr),
        "health": fee_checks.fee_health(portal=portal, sample=5),
        "can_sync": has_permission(request, "stripe.connect"),
        "query": request.GET.urlencode() if not form.errors else "",
        "currency": portal.currency,
    }
    return render(request, "reports/index.html", context)


# --- CSV -----------------------------------------------------------------------------


def _csv(figure: str, report: reports.Report, currency: str) -> HttpResponse:
    def amount(cents: int | None) -> Decimal | None:
        return None if cents is None else money.to_decimal(cents, currency)

    period = report.period
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{figure}-{period.start.isoformat()}-{period.end.isoformat()}.csv"'
    )
    writer = CsvWriter(response)
    if figure in ("monthly", "sources"):
        rows = report.months if figure == "monthly" else report.sources
        writer.writerow(
            [
                "month" if figure == "monthly" else "source",
                "payments",
                "gross",
                "fees",
                "refunds",
                "net",
                "awaiting_fees",
            ]
        )
        for row in rows:
            writer.writerow(
                [
                    row.key,
                    row.count,
                    amount(row.gross),
                    amount(row.fees),
                    amount(row.refunds),
                    amount(row.net),
                    row.awaiting_fees,
                ]
            )
    elif figure == "mrr":
        writer.writerow(["month", "mrr", "active_subscriptions"])
        for point in report.mrr:
            writer.writerow([point.key, amount(point.mrr), point.active])
    elif figure == "products":
        writer.writerow(
            ["product", "sku", "quantity", "revenue", "refunds", "fees", "net", "cost", "margin",
             "margin_percent"]
        )  # fmt: skip
        for p in report.products:
            writer.writerow(
                [
                    p.label,
                    p.sku,
                    p.quantity,
                    amount(p.revenue),
                    amount(p.refunds),
                    amount(p.fees),
                    amount(p.net),
                    amount(p.cost),
                    amount(p.margin),
                    p.margin_percent,
                ]
            )
    else:
        recovery = report.recovery
        writer.writerow(
            ["failed_periods", "recovered", "recovered_amount", "recovery_rate_percent"]
        )
        writer.writerow(
            [
                recovery.failed,
                recovery.recovered,
                amount(recovery.recovered_amount),
                recovery.rate,
            ]
        )
    return response


# --- Charts (server-rendered SVG: geometry here, markup in the template) ---------------

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 260, 64, 28, 12


@dataclass
class Bar:
    x: float
    cx: float
    width: float
    segments: list[tuple[str, float, float, int]]  # (css class, y, height, cents)
    label: str
    title: str


def _scale(maximum: int) -> tuple[int, list[int]]:
    """A rounded top for the axis and four gridlines."""
    if maximum <= 0:
        return 100, [0, 25, 50, 75, 100]
    magnitude = 10 ** (len(str(maximum)) - 1)
    top = magnitude
    for step in (1, 2, 2.5, 5, 10):
        top = int(step * magnitude)
        if top >= maximum:
            break
    return top, [top * i // 4 for i in range(5)]


def monthly_chart(rows: list[reports.Row]) -> dict:
    """Stacked bars per month: net (what reached you), fees and refunds; their sum is
    the gross (a dispute's withdrawal shows as a shorter bar)."""
    top, ticks = _scale(max((r.gross for r in rows), default=0))
    plot_h = HEIGHT - BOTTOM - TOP
    plot_w = WIDTH - LEFT - 8
    slot = plot_w / max(1, len(rows))
    bars = []
    for i, row in enumerate(rows):
        y: float = HEIGHT - BOTTOM
        segments: list[tuple[str, float, float, int]] = []
        for css, cents in (("net", max(0, row.net)), ("fees", row.fees), ("refunds", row.refunds)):
            h = plot_h * cents / top if top else 0
            y -= h
            segments.append((css, round(y, 1), round(h, 1), cents))
        bars.append(
            Bar(
                x=round(LEFT + i * slot + slot * 0.18, 1),
                cx=round(LEFT + i * slot + slot / 2, 1),
                width=round(slot * 0.64, 1),
                segments=segments,
                label=row.label.split(" ")[0] if len(rows) > 6 else row.label,
                title=(
                    f"{row.label}: gross {money.format_cents(row.gross)}, "
                    f"fees {money.format_cents(row.fees)}, refunds "
                    f"{money.format_cents(row.refunds)}, net {money.format_cents(row.net)}"
                ),
            )
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - 8,
        "baseline": HEIGHT - BOTTOM,
        "label_y": HEIGHT - 8,
        "bars": bars,
        "ticks": [
            {"y": round(HEIGHT - BOTTOM - plot_h * t / top, 1), "label": _short(t)} for t in ticks
        ],
        "empty": not any(r.gross for r in rows),
    }


def mrr_chart(points: list[reports.MrrPoint]) -> dict:
    top, ticks = _scale(max((p.mrr for p in points), default=0))
    height = 180
    plot_h = height - BOTTOM - TOP
    plot_w = WIDTH - LEFT - 8
    step = plot_w / max(1, len(points) - 1) if len(points) > 1 else 0
    coords = [
        (round(LEFT + i * step, 1), round(height - BOTTOM - plot_h * p.mrr / top, 1))
        for i, p in enumerate(points)
    ]
    return {
        "width": WIDTH,
        "height": height,
        "left": LEFT,
        "right": WIDTH - 8,
        "baseline": height - BOTTOM,
        "label_y": height - 8,
        "line": " ".join(f"{x},{y}" for x, y in coords),
        "area": (
            f"{LEFT},{height - BOTTOM} "
            + " ".join(f"{x},{y}" for x, y in coords)
            + f" {coords[-1][0]},{height - BOTTOM}"
            if coords
            else ""
        ),
        "points": [
            {
                "x": x,
                "y": y,
                "label": p.label.split(" ")[0] if len(points) > 6 else p.label,
                "title": f"{p.label}: MRR {money.format_cents(p.mrr)}, {p.active} active",
            }
            for (x, y), p in zip(coords, points, strict=True)
        ],
        "ticks": [
            {"y": round(height - BOTTOM - plot_h * t / top, 1), "label": _short(t)} for t in ticks
        ],
        "empty": not any(p.mrr for p in points),
    }


def _short(cents: int) -> str:
    dollars = cents / 100
    if dollars >= 1_000_000:
        return f"${dollars / 1_000_000:g}M"
    if dollars >= 1_000:
        return f"${dollars / 1_000:g}k"
    return f"${dollars:g}"
