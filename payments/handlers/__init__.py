"""Webhook handlers, one module per feature; importing this package registers them all."""

from . import accounts, charges, checkout  # noqa: F401
