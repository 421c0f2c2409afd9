"""Stripe Connect: a portal's connected account, onboarding through Account Links, its readiness label."""
