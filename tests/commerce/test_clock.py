"""One clock and one way of writing dates and times, in the portal's time zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.db import models
from django.template import engines
from django.utils import timezone

from commerce.clock import ClockDateTimeField, format_day, format_time, hub_now, hub_today

ROOT = Path(settings.BASE_DIR)
# The hub's own code: every "now" in it is the hub's clock.
APP_PACKAGES = [
    "commerce",
    "payments",
    "quotes",
    "invoices",
    "subscriptions",
    "reports",
    "accounting",
    "demo",
]
# Formats for machines, not people: ISO 8601, a Unix time, an <input type=date> value,
# and the zone's abbreviation beside a signature's time.
MACHINE_FORMATS = {"c", "U", "Y-m-d", "T"}
NAMED_FORMATS = {"DATE_FORMAT", "TIME_FORMAT", "DATETIME_FORMAT"}


def _templates() -> list[Path]:
    return sorted((ROOT / "templates").rglob("*.html")) + sorted(
        (ROOT / "templates").rglob("*.txt")
    )


def test_templates_write_dates_and_times_one_way():
    # Given every template of the hub, when its date and time filters are read,
    # then they use the hub's formats (or a machine format), never one of their own
    offenders = []
    for path in _templates():
        text = path.read_text()
        for match in re.finditer(r"\|\s*date(?::\s*(['\"])(.*?)\1)?", text):
            if match.group(2) and match.group(2) not in NAMED_FORMATS | MACHINE_FORMATS:
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
        for match in re.finditer(r"\|\s*time:\s*(['\"])(.*?)\1", text):
            if match.group(2) != "TIME_FORMAT":
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
        for match in re.finditer(
            r"\|\s*(timesince|timeuntil|naturaltime|naturalday)|{%\s*now\b", text
        ):
            offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)} (use |ago)")
    assert offenders == []


def test_python_reads_the_hub_clock_and_writes_dates_through_it():
    # Given the hub's own Python code, then "now" is always commerce.clock.hub_now
    # (which the demo clock moves) and dates reach people through its formatters
    pattern = re.compile(
        r"timezone\.now\(\)|timezone\.localdate\(\)|date\.today\(\)|datetime\.now\(|"
        r"datetime\.utcnow\(|%[bB] %-?d"
    )
    offenders = []
    for package in APP_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts or path == ROOT / "commerce" / "clock.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_every_row_timestamp_is_stamped_by_the_hub_clock():
    hub_apps = {
        "portals",
        "catalog",
        "customers",
        "payments",
        "quotes",
        "invoices",
        "subscriptions",
    }
    plain = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model._meta.app_label in hub_apps
        for field in model._meta.concrete_fields
        if isinstance(field, models.DateTimeField)
        and (field.auto_now or field.auto_now_add)
        and not isinstance(field, ClockDateTimeField)
    ]
    assert plain == []


def test_dates_and_times_read_one_way_in_the_active_time_zone():
    template = engines["django"].from_string(
        '{{ at|date }} · {{ at|time }} · {{ at|date:"DATETIME_FORMAT" }} · {{ day|date }}'
    )
    at = datetime(2026, 12, 4, 17, 47, tzinfo=UTC)
    with timezone.override("America/New_York"):
        rendered = template.render({"at": at, "day": date(2027, 1, 4)})
    assert rendered == "Dec 4, 2026 · 12:47 PM · Dec 4, 2026, 12:47 PM · Jan 4, 2027"
    # Python that writes a date into a sentence names the portal's zone
    late = datetime(2026, 12, 5, 3, 10, tzinfo=UTC)
    assert format_day(late, "America/Los_Angeles") == "Dec 4, 2026"
    assert format_time(late, "America/Los_Angeles") == "7:10 PM"
    assert format_day(late, "UTC") == "Dec 5, 2026"


def test_demo_clock_moves_now_today_and_new_rows(settings, tmp_path, portal):
    settings.SUBSCRIPTION_DEMO_CLOCK_FILE = str(tmp_path / "demo-clock")
    (tmp_path / "demo-clock").write_text(f"{31 * 86400}\n")
    with time_machine.travel(datetime(2026, 12, 4, 17, 47, tzinfo=UTC), tick=False):
        assert hub_now() == datetime(2027, 1, 4, 17, 47, tzinfo=UTC)
        assert hub_today("America/New_York") == date(2027, 1, 4)
        from tests.factories import ContactFactory

        contact = ContactFactory(portal=portal)
    assert contact.created_at == datetime(2027, 1, 4, 17, 47, tzinfo=UTC)


@pytest.mark.parametrize("name", ["Not/AZone", ""])
def test_unknown_time_zone_reads_as_utc(name):
    at = datetime(2026, 12, 5, 3, 10, tzinfo=UTC)
    assert format_day(at, name) == "Dec 5, 2026"
