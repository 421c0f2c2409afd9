"""Helpers shared by tests of several areas (imported, not collected). Fixtures live in
the conftest.py files; helpers that tests call with arguments live in these support
modules: this one, and one per area where it has its own (tests/payments/support.py)."""

from __future__ import annotations

import os

import pytest

from commerce.documents.lines import LineInput

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, reason: str) -> None:
    """Skip locally, fail under CI, when a real service the test needs is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required services must be present)", pytrace=False)
    pytest.skip(reason)


def line(name: str = "Consulting", quantity: int = 1, unit_amount: int = 10_000, **kw) -> LineInput:
    """A document line as an editor submits it, for quote_create / invoice_create."""
    return LineInput(name=name, quantity=quantity, unit_amount=unit_amount, **kw)
