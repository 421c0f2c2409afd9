"""Handlers for PaymentIntent events (checkout completion). Filled in by the checkout feature."""
