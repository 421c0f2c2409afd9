"""The demo's invoices are numbered in the order they were issued: NW-0001 before NW-0002."""

import io

import pytest
from django.core.management import call_command

from invoices.models import Invoice

pytestmark = pytest.mark.django_db


def test_seeded_invoice_numbers_follow_their_issue_dates():
    call_command("seed_demo", stdout=io.StringIO())

    numbered = list(Invoice.objects.exclude(number=None).order_by("number"))

    assert [i.display_number for i in numbered] == ["NW-0001", "NW-0002"]
    dates = [i.issue_date for i in numbered]
    assert dates == sorted(dates) and dates[0] < dates[1], dates
