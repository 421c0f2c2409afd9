"""The test settings of outbound webhooks: receivers listen on 127.0.0.1 over http."""

import pytest


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True


@pytest.fixture
def receiver():
    from .support import WebhookReceiver

    r = WebhookReceiver()
    yield r
    r.close()
