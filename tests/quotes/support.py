"""Helpers of the quote tests (imported, not collected)."""

from __future__ import annotations

import datetime as dt

from quotes import services


def days_from_today(portal, days: int) -> dt.date:
    return services.portal_today(portal) + dt.timedelta(days=days)
