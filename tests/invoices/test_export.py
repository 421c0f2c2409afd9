"""CSV export for accounting: export, parse back, and the values match the invoices."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from invoices import services
from invoices.csv_io import INVOICE_COLUMNS, PAYMENT_COLUMNS
from invoices.models import Invoice
from tests.support import line

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(make_invoice, portal):
    """Three invoices issued in March, April and May; the April one partly paid twice."""
    march = make_invoice(issue_date=dt.date(2026, 3, 5), finalize=True)
    april = make_invoice(
        issue_date=dt.date(2026, 4, 5),
        lines=[line(name="Big job", quantity=3, unit_amount=33_333)],
        finalize=True,
    )
    for amount, day, method in ((20_000, 6, "cheque"), (30_000, 20, "bank_transfer")):
        services.invoice_record_payment(
            invoice=april,
            actor=None,
            method=method,
            amount=amount,
            paid_on=dt.date(2026, 4, day),
            reference=f"REF-{day}",
        )
    may = make_invoice(issue_date=dt.date(2026, 5, 5))  # a draft
    return march, april, may


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_invoice_csv_round_trip(books, portal, tmp_path):
    path = tmp_path / "invoices.csv"
    call_command("export_invoices", portal=portal.name, output=str(path), no_progress=True)
    parsed = rows(path.read_text())
    assert list(parsed[0].keys()) == INVOICE_COLUMNS
    assert [r["number"] for r in parsed] == ["INV-0001", "INV-0002", ""]
    for row, invoice in zip(parsed, books, strict=True):
        invoice = Invoice.objects.get(pk=invoice.pk)
        assert row["status"] == invoice.status
        assert row["contact_email"] == invoice.contact.email
        assert row["issue_date"] == invoice.issue_date.isoformat()
        assert row["due_date"] == invoice.due_date.isoformat()
        for column, cents in (
            ("subtotal", invoice.subtotal),
            ("tax", invoice.tax_total),
            ("total", invoice.total),
            ("amount_paid", invoice.amount_paid),
            ("amount_due", invoice.amount_due),
        ):
            assert round(float(row[column]) * 100) == cents, column
    assert parsed[1]["total"] == "999.99" and parsed[1]["amount_due"] == "499.99"


def test_invoice_export_filters_by_issue_dates_and_status(books, portal):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "export_invoices",
        "--portal",
        str(portal.pk),
        "--since",
        "2026-04-01",
        "--until",
        "2026-04-30",
        stdout=out,
        stderr=err,
    )
    assert [r["number"] for r in rows(out.getvalue())] == ["INV-0002"]
    assert "Exported 1 invoices" in err.getvalue()
    out = io.StringIO()
    call_command(
        "export_invoices", portal=portal.name, status="draft", stdout=out, stderr=io.StringIO()
    )
    assert [r["status"] for r in rows(out.getvalue())] == ["draft"]


def test_payment_csv_round_trip(books, portal):
    out = io.StringIO()
    call_command(
        "export_invoice_payments",
        portal=portal.name,
        since="2026-04-10",
        stdout=out,
        stderr=io.StringIO(),
    )
    parsed = rows(out.getvalue())
    assert list(parsed[0].keys()) == PAYMENT_COLUMNS
    assert [
        (r["invoice_number"], r["paid_on"], r["method"], r["amount"], r["reference"])
        for r in parsed
    ] == [("INV-0002", "2026-04-20", "bank_transfer", "300.00", "REF-20")]


def test_bad_options_are_clear_errors(portal):
    with pytest.raises(CommandError, match="not a date"):
        call_command("export_invoices", portal=portal.name, since="April")
    with pytest.raises(CommandError, match="No portal"):
        call_command("export_invoices", portal="Nobody Inc.")
    with pytest.raises(CommandError, match="before --since"):
        call_command("export_invoices", portal=portal.name, since="2026-05-01", until="2026-04-01")


def test_list_export_button_keeps_the_filters(rep_client, books):
    page = rep_client.get(
        reverse("invoices:index"), {"status": "open", "q": "buyer"}
    ).content.decode()
    assert f"{reverse('invoices:export')}?status=open&amp;q=buyer" in page
    response = rep_client.get(reverse("invoices:export"), {"status": "past_due", "q": "0002"})
    assert response["Content-Type"].startswith("text/csv")
    assert [r["number"] for r in rows(response.content.decode())] == ["INV-0002"]
    response = rep_client.get(reverse("invoices:export_payments"), {"until": "2026-04-10"})
    assert [r["reference"] for r in rows(response.content.decode())] == ["REF-6"]
    response = rep_client.get(
        reverse("invoices:export"), {"since": "2026-05-01", "until": "2026-04-01"}
    )
    assert response.status_code == 302
