"""A portal's accounting settings: the accounts its exports (and the payout journal)
post to. Each account has a code (Xero matches accounts by code) and a name
(QuickBooks Online matches them by name: account numbers are off by default there)."""

from __future__ import annotations

from django.db import models

# Xero's default chart (UK and AU organisations: 200 Sales, 404 Bank Fees, 429 General
# Expenses, 090 for the business bank account). A US organisation's chart may differ
# (one shows 604 "Bank Service Charges"), which is why these are settings.
ACCOUNTS = ("sales", "fees", "refunds", "disputes", "bank")
DEFAULT_ACCOUNTS: dict[str, tuple[str, str]] = {
    "sales": ("200", "Sales"),
    "fees": ("404", "Bank Fees"),
    "refunds": ("200", "Sales"),
    "disputes": ("429", "General Expenses"),
    "bank": ("090", "Business Bank Account"),
}
# Xero's import wants the display name of one of the organisation's tax rates; a US
# organisation starts with "Tax Exempt" and sales tax rates of its own.
DEFAULT_TAX_RATE = "Tax on Sales"
DEFAULT_NO_TAX_RATE = "Tax Exempt"

CODE_MAX = 10  # Xero: an account code is at most 10 characters
NAME_MAX = 100  # QuickBooks Online: an account name is at most 100 characters


class AccountingSettings(models.Model):
    portal = models.OneToOneField(
        "portals.Portal", on_delete=models.CASCADE, related_name="accounting_settings"
    )
    sales_code = models.CharField(max_length=CODE_MAX, default=DEFAULT_ACCOUNTS["sales"][0])
    sales_name = models.CharField(max_length=NAME_MAX, default=DEFAULT_ACCOUNTS["sales"][1])
    fees_code = models.CharField(max_length=CODE_MAX, default=DEFAULT_ACCOUNTS["fees"][0])
    fees_name = models.CharField(max_length=NAME_MAX, default=DEFAULT_ACCOUNTS["fees"][1])
    refunds_code = models.CharField(max_length=CODE_MAX, default=DEFAULT_ACCOUNTS["refunds"][0])
    refunds_name = models.CharField(max_length=NAME_MAX, default=DEFAULT_ACCOUNTS["refunds"][1])
    disputes_code = models.CharField(max_length=CODE_MAX, default=DEFAULT_ACCOUNTS["disputes"][0])
    disputes_name = models.CharField(max_length=NAME_MAX, default=DEFAULT_ACCOUNTS["disputes"][1])
    bank_code = models.CharField(max_length=CODE_MAX, default=DEFAULT_ACCOUNTS["bank"][0])
    bank_name = models.CharField(max_length=NAME_MAX, default=DEFAULT_ACCOUNTS["bank"][1])
    tax_rate = models.CharField(max_length=NAME_MAX, default=DEFAULT_TAX_RATE)
    no_tax_rate = models.CharField(max_length=NAME_MAX, default=DEFAULT_NO_TAX_RATE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "accounting settings"

    def __str__(self) -> str:
        return f"Accounting settings of {self.portal}"

    def code(self, account: str) -> str:
        return str(getattr(self, f"{account}_code"))

    def name(self, account: str) -> str:
        return str(getattr(self, f"{account}_name"))
