"""Webhook handlers, one module per feature; importing this package registers them all."""

from payments.webhooks.handlers import accounts, charges, checkout, payouts  # noqa: F401
