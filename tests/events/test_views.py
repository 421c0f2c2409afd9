"""Settings → Webhooks: super admins only; another portal's ids are 404 on every URL."""

import pytest
from django.urls import reverse

from commerce.events import endpoints
from commerce.events.models import Delivery, DeliveryAttempt, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(portal, receiver):
    return endpoints.endpoint_create(portal=portal, url=receiver.url(), description="Books")


@pytest.fixture
def delivery(endpoint, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return endpoints.endpoint_send_test(endpoint=endpoint)


def _urls(endpoint_pk: int, delivery_pk: int) -> list[tuple[str, str]]:
    e, d = endpoint_pk, delivery_pk
    return [
        ("get", reverse("webhooks:detail", args=[e])),
        ("get", reverse("webhooks:edit", args=[e])),
        ("post", reverse("webhooks:edit", args=[e])),
        ("post", reverse("webhooks:roll_secret", args=[e])),
        ("post", reverse("webhooks:toggle", args=[e])),
        ("post", reverse("webhooks:delete", args=[e])),
        ("post", reverse("webhooks:test", args=[e])),
        ("post", reverse("webhooks:replay", args=[e])),
        ("get", reverse("webhooks:delivery", args=[e, d])),
        ("post", reverse("webhooks:delivery_resend", args=[e, d])),
    ]


def test_another_portals_ids_are_404_on_every_url(other_client, endpoint, delivery):
    for method, url in _urls(endpoint.pk, delivery.pk):
        response = getattr(other_client, method)(url)
        assert response.status_code == 404, (method, url, response.status_code)
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).exists()


def test_a_delivery_of_another_endpoint_is_404(admin_client_, portal, endpoint, delivery, receiver):
    mine = endpoints.endpoint_create(portal=portal, url=receiver.url("/mine"))
    url = reverse("webhooks:delivery", args=[mine.pk, delivery.pk])
    assert admin_client_.get(url).status_code == 404


def test_only_super_admins_manage_endpoints(billing_client, rep_client, endpoint, delivery):
    pages = [
        ("get", reverse("webhooks:list")),
        ("get", reverse("webhooks:create")),
        ("post", reverse("webhooks:create")),
        ("get", reverse("webhooks:docs")),
    ]
    for client in (billing_client, rep_client):
        for method, url in pages + _urls(endpoint.pk, delivery.pk):
            assert getattr(client, method)(url).status_code == 403, (method, url)
        assert "Webhooks" not in client.get(reverse("settings:index")).content.decode()
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).enabled


def test_creating_shows_the_secret_once(admin_client_, receiver):
    response = admin_client_.post(
        reverse("webhooks:create"),
        {"url": receiver.url(), "description": "Accounting", "event_types": ["invoice.paid"]},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302
    assert endpoint.event_types == ["invoice.paid"]
    page = admin_client_.get(response.url).content.decode()
    assert endpoint.secret in page
    assert endpoint.secret not in admin_client_.get(response.url).content.decode()


def test_bad_input_is_a_message_and_changes_nothing(admin_client_, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    for data in (
        {"url": "http://127.0.0.1:9/x", "all_events": "on"},
        {"url": "nope", "all_events": "on"},
        {"url": "https://example.com/x"},
        {"url": "https://example.com/x", "event_types": ["bogus"]},
    ):
        response = admin_client_.post(reverse("webhooks:create"), data)
        assert response.status_code == 400, data
        assert b"errorlist" in response.content
    assert not WebhookEndpoint.objects.exists()


def test_replay_with_a_bad_time_is_a_message(admin_client_, endpoint):
    response = admin_client_.post(
        reverse("webhooks:replay", args=[endpoint.pk]), {"since": "soon"}, follow=True
    )
    assert response.status_code == 200
    assert "Enter a valid date/time" in response.content.decode()


def test_pages_render_the_delivery_log_with_answers_escaped(admin_client_, endpoint, delivery):
    DeliveryAttempt.objects.filter(delivery=delivery).update(
        response_body="<script>alert(1)</script>"
    )
    detail = admin_client_.get(reverse("webhooks:detail", args=[endpoint.pk])).content.decode()
    assert "webhook.test" in detail and "Delivered" in detail
    page = admin_client_.get(
        reverse("webhooks:delivery", args=[endpoint.pk, delivery.pk])
    ).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert delivery.message_id in page and "&quot;type&quot;: &quot;webhook.test&quot;" in page
    assert admin_client_.get(reverse("webhooks:list")).status_code == 200
    docs = admin_client_.get(reverse("webhooks:docs")).content.decode()
    assert "invoice.marked_uncollectible" in docs and "wh.verify(" in docs
    assert "Webhooks" in admin_client_.get(reverse("settings:index")).content.decode()


def test_resend_roll_toggle_and_delete(admin_client_, endpoint, delivery, receiver):
    old = endpoint.secret
    admin_client_.post(reverse("webhooks:delivery_resend", args=[endpoint.pk, delivery.pk]))
    assert Delivery.objects.get().status in ("pending", "succeeded")
    admin_client_.post(reverse("webhooks:roll_secret", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.previous_secret == old and endpoint.secret != old
    admin_client_.post(reverse("webhooks:toggle", args=[endpoint.pk]), {"enabled": "0"})
    assert not WebhookEndpoint.objects.get().enabled
    response = admin_client_.post(reverse("webhooks:test", args=[endpoint.pk]), follow=True)
    assert "disabled" in response.content.decode()
    admin_client_.post(reverse("webhooks:delete", args=[endpoint.pk]))
    assert not WebhookEndpoint.objects.exists()
