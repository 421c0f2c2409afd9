"""`{{ moment|ago }}`: "3 hours ago", counted from the hub's clock; built in to every
template. Dates and times themselves use `|date`, `|time` and `|date:"DATETIME_FORMAT"`
(the formats of commerce/formats/en/formats.py)."""

from __future__ import annotations

import datetime as dt

from django import template

from commerce.clock import format_ago

register = template.Library()


@register.filter(name="ago", expects_localtime=False)
def ago_filter(value: dt.datetime | None) -> str:
    return format_ago(value) if isinstance(value, dt.datetime) else ""
