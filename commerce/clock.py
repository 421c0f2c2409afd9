"""The hub's clock, and how its dates and times read to people.

One clock: every "now" of the hub (pages, services, tasks, and the `created_at` /
`updated_at` stamps of its rows through `ClockDateTimeField`) is `hub_now()`. In
production that is the wall clock. In `make dev`, `manage.py advance_demo_clock`
(demo/clock.py) moves it forward, together with fakestripe's clock, by writing an
offset to SUBSCRIPTION_DEMO_CLOCK_FILE; web, worker and beat all get the same setting
from `make dev` and read the file on every call, so a page shows the same "now" as the
task that billed the period. The file is only read when that setting is set (never in
production).

One format, in the portal's time zone: a date reads "Dec 4, 2026", a time "12:47 PM",
both "Dec 4, 2026, 12:47 PM" (commerce/formats/en/formats.py, so templates use plain
`|date`, `|time` and `|date:"DATETIME_FORMAT"`, and `|ago` instead of `timesince`).
Staff pages render in their portal's zone (PortalMiddleware), buyer pages, e-mails and
PDFs in the zone of the portal that sent them; Python that puts a date into a sentence
uses `format_day`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import models
from django.utils import formats, timezone
from django.utils.timesince import timesince


def demo_offset_seconds() -> float:
    path = getattr(settings, "SUBSCRIPTION_DEMO_CLOCK_FILE", "")
    if not path:
        return 0.0
    try:
        return float(Path(path).read_text().strip() or 0)
    except (OSError, ValueError):
        return 0.0


def hub_now() -> dt.datetime:
    offset = demo_offset_seconds()
    now = timezone.now()
    return now + dt.timedelta(seconds=offset) if offset else now


def zone(time_zone: str | dt.tzinfo | None) -> dt.tzinfo:
    """A portal's time zone by name; the active one for None; UTC for an unknown name."""
    if time_zone is None:
        return timezone.get_current_timezone()
    if isinstance(time_zone, dt.tzinfo):
        return time_zone
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def hub_today(time_zone: str | dt.tzinfo | None = None) -> dt.date:
    """The date it is now in `time_zone` (a portal's; the active zone for None)."""
    return timezone.localtime(hub_now(), zone(time_zone)).date()


D = TypeVar("D", dt.date, dt.datetime)


def _local(value: D, time_zone: str | dt.tzinfo | None) -> D:
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.localtime(value, zone(time_zone))
    return value


def format_day(value: dt.date | None, time_zone: str | dt.tzinfo | None = None) -> str:
    """ "Dec 4, 2026": a date, or the day of a moment in `time_zone`."""
    return formats.date_format(_local(value, time_zone), "DATE_FORMAT") if value else ""


def format_time(value: dt.datetime | None, time_zone: str | dt.tzinfo | None = None) -> str:
    """ "12:47 PM" in `time_zone`."""
    return formats.time_format(_local(value, time_zone), "TIME_FORMAT") if value else ""


def format_day_time(value: dt.datetime | None, time_zone: str | dt.tzinfo | None = None) -> str:
    """ "Dec 4, 2026, 12:47 PM" in `time_zone`."""
    return formats.date_format(_local(value, time_zone), "DATETIME_FORMAT") if value else ""


def format_ago(value: dt.datetime | None) -> str:
    """ "3 hours ago", counted from the hub's now (Django's `timesince` counts from the
    wall clock, which the demo clock leaves behind)."""
    if not value:
        return ""
    now = hub_now()
    if value >= now:
        return "just now"
    return f"{timesince(value, now)} ago"


class ClockDateTimeField(models.DateTimeField):
    """A DateTimeField whose `auto_now` / `auto_now_add` read the hub's clock, so a row
    written while the demo clock is ahead is stamped with the same "now" as the rest of
    the hub. The column is an ordinary DateTimeField, and it deconstructs as one, so
    swapping it in needs no migration."""

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if self.auto_now or (self.auto_now_add and add):
            value = hub_now()
            setattr(model_instance, self.attname, value)
            return value
        return super().pre_save(model_instance, add)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateTimeField", args, kwargs
