"""Payouts: synced from Stripe with their balance transactions, reconciled to the cent."""
