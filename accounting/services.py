"""Writes of the accounting app: the portal's accounting settings."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from django.db import transaction

from commerce.csv import is_formula_like
from commerce.portals.models import Portal

from .models import ACCOUNTS, CODE_MAX, NAME_MAX, AccountingSettings

LABELS = {
    "sales": "Sales",
    "fees": "Stripe fees",
    "refunds": "Refunds",
    "disputes": "Disputes",
    "bank": "Bank",
}
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]*")


class AccountingError(ValueError):
    """Settings that cannot be saved: `errors` maps each field to a sentence."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def check_account_code(value: str, *, label: str) -> str:
    """The code as saved, or a ValueError whose message says what to type."""
    code = (value or "").strip()
    if not code:
        raise ValueError(f"Enter the code of the {label.lower()} account, like 200.")
    if len(code) > CODE_MAX or not _CODE.fullmatch(code):
        raise ValueError(
            f"“{code}” is not an account code: use at most {CODE_MAX} letters, digits, "
            "dots or hyphens, starting with a letter or digit, as your chart of accounts shows it."
        )
    return code


def check_name(value: str, *, what: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise ValueError(f"Enter the {what}.")
    if len(name) > NAME_MAX:
        raise ValueError(f"The {what} has at most {NAME_MAX} characters.")
    if is_formula_like(name):
        raise ValueError(f"The {what} cannot start with = + - or @.")
    return name


def accounting_settings_for(*, portal: Portal) -> AccountingSettings:
    found, _ = AccountingSettings.objects.get_or_create(portal=portal)
    return found


def accounting_settings_check(values: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(the values as they would be saved, {field: why it cannot be}) of every field."""
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    checks: list[tuple[str, Callable[[str], str]]] = []
    for account in ACCOUNTS:
        label = LABELS[account]
        checks.append((f"{account}_code", partial(check_account_code, label=label)))
        checks.append(
            (f"{account}_name", partial(check_name, what=f"{label.lower()} account's name"))
        )
    checks.append(("tax_rate", partial(check_name, what="tax rate for taxed lines")))
    checks.append(("no_tax_rate", partial(check_name, what="tax rate for untaxed lines")))
    for field, check in checks:
        try:
            cleaned[field] = check(values.get(field, ""))
        except ValueError as exc:
            errors[field] = str(exc)
    return cleaned, errors


def accounting_settings_update(*, portal: Portal, **values: str) -> AccountingSettings:
    """Saves every field at once, or none (AccountingError names each bad field). Locks
    the portal's settings row."""
    cleaned, errors = accounting_settings_check(values)
    if errors:
        raise AccountingError(errors)
    accounting_settings_for(portal=portal)
    with transaction.atomic():
        locked = AccountingSettings.objects.select_for_update().get(portal=portal)
        for field, value in cleaned.items():
            setattr(locked, field, value)
        locked.save(update_fields=[*cleaned, "updated_at"])
    return locked
