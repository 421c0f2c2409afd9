"""Writes of webhook endpoints and of their deliveries: what a super admin does under
Settings → Webhooks. Each service is one transaction; deliveries it makes due go out
after commit (a delivery run is enqueued then, and the sweeper is the safety net)."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from commerce.clock import hub_now
from commerce.portals.models import Portal

from . import tasks
from .catalogue import BY_NAME, TEST_EVENT
from .delivery import deliveries_pause
from .models import Delivery, Event, WebhookEndpoint
from .network import UnsafeURL, check_url

SECRET_OVERLAP = timedelta(hours=24)
PENDING = Delivery.Status.PENDING


class EndpointError(Exception):
    """Refused; the message is written for people."""


def new_secret() -> str:
    """`whsec_` and 24 random bytes in base64, as Standard Webhooks' libraries expect."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def _clean(url: str, event_types: list[str]) -> tuple[str, list[str]]:
    url = url.strip()
    try:
        check_url(url)
    except UnsafeURL as exc:
        raise EndpointError(str(exc)) from None
    unknown = [t for t in event_types if t not in BY_NAME or BY_NAME[t].internal]
    if unknown:
        raise EndpointError(f"Unknown event type: {', '.join(unknown)}.")
    return url, sorted(set(event_types))


def _run_after_commit() -> None:
    transaction.on_commit(lambda: tasks.deliver_due.delay())


@transaction.atomic
def endpoint_create(
    *, portal: Portal, url: str, description: str = "", event_types: list[str] | None = None
) -> WebhookEndpoint:
    """Adds an endpoint with a new signing secret (shown to its creator once). Raises
    EndpointError for a URL the hub will not POST to (SSRF) or an unknown type."""
    url, types = _clean(url, event_types or [])
    return WebhookEndpoint.objects.create(
        portal=portal, url=url, description=description, event_types=types, secret=new_secret()
    )


@transaction.atomic
def endpoint_update(
    *, endpoint: WebhookEndpoint, url: str, description: str, event_types: list[str]
) -> WebhookEndpoint:
    url, types = _clean(url, event_types)
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    locked.url, locked.description, locked.event_types = url, description, types
    locked.save(update_fields=["url", "description", "event_types", "updated_at"])
    return locked


@transaction.atomic
def endpoint_set_enabled(*, endpoint: WebhookEndpoint, enabled: bool) -> WebhookEndpoint:
    """Disabling pauses its pending deliveries; enabling sends them (its backlog) now."""
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if locked.enabled == enabled:
        return locked
    locked.enabled = enabled
    locked.disabled_reason = "" if enabled else "Disabled by a super admin."
    locked.failing_since = None
    locked.save(update_fields=["enabled", "disabled_reason", "failing_since", "updated_at"])
    if enabled:
        Delivery.objects.filter(endpoint=locked, status=PENDING).update(next_attempt_at=hub_now())
        _run_after_commit()
    else:
        deliveries_pause(endpoint=locked)
    return locked


@transaction.atomic
def endpoint_roll_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new signing secret; the old one stays valid (deliveries carry both
    signatures) for 24 hours, so the receiver can switch without losing an event."""
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    locked.previous_secret = locked.secret
    locked.previous_secret_expires_at = hub_now() + SECRET_OVERLAP
    locked.secret = new_secret()
    locked.save(
        update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"]
    )
    return locked


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


def _refuse_disabled(endpoint: WebhookEndpoint) -> None:
    if not endpoint.enabled:
        raise EndpointError("This endpoint is disabled. Enable it first.")


@transaction.atomic
def endpoint_send_test(*, endpoint: WebhookEndpoint) -> Delivery:
    """Records a `webhook.test` event for this endpoint alone and delivers it now."""
    _refuse_disabled(endpoint)
    now = hub_now()
    event = Event.objects.create(
        portal_id=endpoint.portal_id,
        type=TEST_EVENT,
        object_type="webhook_endpoint",
        object_id=str(endpoint.pk),
        created=now,
        data=_endpoint_object(endpoint),
        fanned_out_at=now,  # for this endpoint only
    )
    delivery = Delivery.objects.create(
        portal_id=endpoint.portal_id, event=event, endpoint=endpoint, next_attempt_at=now
    )
    _run_after_commit()
    return delivery


def _endpoint_object(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": str(endpoint.pk),
        "object": "webhook_endpoint",
        "url": endpoint.url,
        "description": endpoint.description,
    }


@transaction.atomic
def delivery_resend(*, delivery: Delivery) -> Delivery:
    """Sends one delivery again now, with its same `webhook-id`, whatever its state;
    a failed one gets a fresh retry schedule."""
    _refuse_disabled(delivery.endpoint)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=PENDING, attempts=0, next_attempt_at=hub_now(), delivered_at=None
    )
    _run_after_commit()
    delivery.refresh_from_db()
    return delivery


REPLAY_BATCH = 1000


@transaction.atomic
def endpoint_replay(*, endpoint: WebhookEndpoint, since: datetime) -> int:
    """Sends every event of the portal since `since` that this endpoint wants again
    (test events excepted): existing deliveries are sent again with their same
    `webhook-id`, missing ones are created. Returns how many events."""
    _refuse_disabled(endpoint)
    if since > hub_now():
        raise EndpointError("Choose a time in the past.")
    now = hub_now()
    events = Event.objects.filter(portal_id=endpoint.portal_id, created__gte=since).exclude(
        type=TEST_EVENT
    )
    if endpoint.event_types:
        events = events.filter(type__in=endpoint.event_types)
    ids = list(events.values_list("pk", flat=True))
    for start in range(0, len(ids), REPLAY_BATCH):
        batch = ids[start : start + REPLAY_BATCH]
        Delivery.objects.filter(endpoint=endpoint, event_id__in=batch).update(
            status=PENDING, attempts=0, next_attempt_at=now, delivered_at=None
        )
        Delivery.objects.bulk_create(
            [
                Delivery(
                    portal_id=endpoint.portal_id,
                    event_id=event_id,
                    endpoint=endpoint,
                    next_attempt_at=now,
                )
                for event_id in batch
            ],
            ignore_conflicts=True,
        )
    if ids:
        _run_after_commit()
    return len(ids)
