"""Inbound Stripe webhooks: verify, store, then process through the `handles` registry."""
