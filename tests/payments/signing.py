"""Signs webhook bodies the way Stripe does (docs.stripe.com/webhooks#verify-manually)."""

import hashlib
import hmac
import json
import time


def signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event_body(
    event_id: str,
    event_type: str,
    obj: dict,
    *,
    account: str | None = None,
    created: int | None = None,
) -> bytes:
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": created or int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    if account:
        event["account"] = account
    return json.dumps(event).encode()
