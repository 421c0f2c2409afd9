"""The hub pointed at fakestripe: configuration only, as in production."""

import pytest


@pytest.fixture
def stripe_hub(settings, fakestripe):
    """Settings of a hub whose Stripe is the test's fakestripe; returns the handle."""
    settings.STRIPE_SECRET_KEY = fakestripe.secret_key
    settings.STRIPE_PUBLISHABLE_KEY = fakestripe.publishable_key
    settings.STRIPE_API_BASE = fakestripe.url
    settings.STRIPE_JS_URL = fakestripe.js_url
    settings.STRIPE_RETRY_BASE_SECONDS = 0.01
    settings.STRIPE_RETRY_MAX_SECONDS = 0.05
    return fakestripe


@pytest.fixture
def hub_webhooks(stripe_hub, live_server, settings):
    """fakestripe delivers signed webhooks (platform and Connect) to the live hub."""
    url = live_server.url + "/webhooks/stripe/"
    settings.STRIPE_WEBHOOK_SECRETS = [
        stripe_hub.add_webhook_endpoint(url, connect=False),
        stripe_hub.add_webhook_endpoint(url, connect=True),
    ]
    return live_server
