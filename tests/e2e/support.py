"""Helpers of the browser tests (imported, not collected)."""

# The iframes of fakestripe's Stripe.js stand-in, as Stripe.js titles its own.
CARD_FRAME = 'iframe[title="Secure payment input frame"]'
THREE_DS_FRAME = 'iframe[title="3D Secure authentication"]'
