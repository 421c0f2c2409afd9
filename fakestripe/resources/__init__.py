"""API resources; importing this package registers their routes."""

from . import (  # noqa: F401 - imported for their @route registrations
    accounts,
    balance,
    charges,
    customers,
    events,
    payment_intents,
    payment_methods,
    payouts,
    refunds,
    setup_intents,
)
from .accounts import bootstrap

__all__ = ["bootstrap"]
