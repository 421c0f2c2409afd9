"""Handlers for charge, refund and dispute events. Filled in by the payments tool feature."""
