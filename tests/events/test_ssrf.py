"""The hub refuses to POST to addresses that are not public, at save time and again at
delivery after resolving the name (and then connects to the address it checked)."""

import socket

import pytest

from commerce.events import endpoints
from commerce.events.models import DeliveryAttempt

pytestmark = pytest.mark.django_db

REFUSED = [
    "https://127.0.0.1/hook",
    "https://10.0.0.1/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://192.168.1.20:8443/hook",
    "https://100.64.0.1/hook",
    "https://0.0.0.0/hook",
    "https://224.0.0.1/hook",
]


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False


def _dns(monkeypatch, answers: dict[str, str]) -> None:
    """Injected fault: the resolver answers `answers` for these names."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in answers:
            family = socket.AF_INET6 if ":" in answers[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr("commerce.events.network.getaddrinfo", fake)


@pytest.mark.parametrize("url", REFUSED)
def test_non_public_addresses_are_refused_at_save_time(production, portal, url):
    with pytest.raises(endpoints.EndpointError, match="private or local network"):
        endpoints.endpoint_create(portal=portal, url=url)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1"])
def test_a_name_resolving_to_a_private_address_is_refused(production, portal, monkeypatch, address):
    _dns(monkeypatch, {"hooks.example.com": address})
    with pytest.raises(endpoints.EndpointError, match=address):
        endpoints.endpoint_create(portal=portal, url="https://hooks.example.com/in")


def test_http_is_refused_in_production(production, portal, monkeypatch):
    _dns(monkeypatch, {"hooks.example.com": "93.184.216.34"})
    with pytest.raises(endpoints.EndpointError, match="https"):
        endpoints.endpoint_create(portal=portal, url="http://hooks.example.com/in")
    assert endpoints.endpoint_create(portal=portal, url="https://hooks.example.com/in").pk


def test_credentials_and_other_schemes_are_refused(portal):
    for url in ("ftp://example.com/x", "https://user:pw@example.com/x", "not a url", "https:///x"):
        with pytest.raises(endpoints.EndpointError):
            endpoints.endpoint_create(portal=portal, url=url)


def test_a_name_rebound_to_a_private_address_after_saving_is_refused_at_delivery(
    production, portal, monkeypatch, receiver, django_capture_on_commit_callbacks
):
    _dns(monkeypatch, {"hooks.example.com": "93.184.216.34"})
    endpoint = endpoints.endpoint_create(portal=portal, url="https://hooks.example.com/in")
    _dns(monkeypatch, {"hooks.example.com": "127.0.0.1"})  # DNS rebinding
    with django_capture_on_commit_callbacks(execute=True):
        endpoints.endpoint_send_test(endpoint=endpoint)
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code is None
    assert "private or local network address (127.0.0.1)" in attempt.error
    assert receiver.received == []


def test_delivery_connects_to_the_checked_address_with_the_urls_host(
    portal, monkeypatch, receiver, django_capture_on_commit_callbacks
):
    port = receiver.base.rsplit(":", 1)[1]
    _dns(monkeypatch, {"hooks.example.test": "127.0.0.1"})
    endpoint = endpoints.endpoint_create(portal=portal, url=f"http://hooks.example.test:{port}/in")
    receiver.url("/in")
    with django_capture_on_commit_callbacks(execute=True):
        endpoints.endpoint_send_test(endpoint=endpoint)
    [r] = receiver.at("/in")
    assert r.headers["host"] == f"hooks.example.test:{port}"
