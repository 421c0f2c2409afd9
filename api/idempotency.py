"""`Idempotency-Key` on POST: the first response is kept for 24 hours per API key and key.

The same key with the same body replays that response (status and body) and runs nothing;
with another body it is a 409. The record is inserted *before* the request runs, inside
the request's transaction: a second request with the same key waits on the unique
constraint until the first commits, then replays it (or, on a database that does not
wait, is told the first is still in progress). Errors raised before the request runs (no
key, a missing scope, a body that does not fit the schema) are not recorded, so a fixed
retry with the same key works; an unexpected failure rolls the record back with the rest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from commerce.clock import hub_now

from .auth import api_key
from .errors import IDEMPOTENCY, ApiError, from_django_validation, invalid
from .models import IdempotencyRecord

KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255
HEADER = "Idempotency-Key"

Result = tuple[int, dict[str, Any]]


def _request_hash(request: HttpRequest) -> str:
    try:
        body: Any = json.loads(request.body or b"null")
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = request.body
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


def _claim(*, key_id: int, key: str, request_hash: str) -> IdempotencyRecord | None:
    """Inserts the record (None: this request runs) or returns the one already there."""
    now = hub_now()
    for _ in range(2):
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    api_key_id=key_id, key=key, request_hash=request_hash, created_at=now
                )
            return None
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(api_key_id=key_id, key=key).first()
            if existing is None:  # removed in between: try once more
                continue
            if existing.created_at > now - KEEP_FOR:
                return existing
            existing.delete()  # older than 24 hours: the key is free again
    raise ApiError(
        409, IDEMPOTENCY, "idempotency_key_in_use", "A request with this key is in progress."
    )


def _replay(record: IdempotencyRecord, request_hash: str) -> HttpResponse:
    if record.request_hash != request_hash:
        raise ApiError(
            409,
            IDEMPOTENCY,
            "idempotency_key_reused",
            "This Idempotency-Key was used with different parameters. Use a new key for a new request.",
            HEADER,
        )
    if record.status_code is None:
        raise ApiError(
            409, IDEMPOTENCY, "idempotency_key_in_use", "A request with this key is in progress."
        )
    response = HttpResponse(record.body, status=record.status_code, content_type="application/json")
    response["Idempotent-Replayed"] = "true"
    return response


def _run(run: Callable[[], Result]) -> Result:
    try:
        return run()
    except ApiError as exc:
        return exc.status, exc.body()
    except ValidationError as exc:
        error = from_django_validation(exc)
        return error.status, error.body()


def idempotent(request: HttpRequest, run: Callable[[], Result]) -> HttpResponse:
    """Runs `run` (a POST's work: status and body) at most once per Idempotency-Key."""
    key = request.headers.get(HEADER)
    if key is None:
        status, body = _run(run)
        return JsonResponse(body, status=status)
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise invalid(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters.", HEADER)
    request_hash = _request_hash(request)
    with transaction.atomic():
        existing = _claim(key_id=api_key(request).id, key=key, request_hash=request_hash)
        if existing is not None:
            return _replay(existing, request_hash)
        status, body = _run(run)
        response = JsonResponse(body, status=status)
        IdempotencyRecord.objects.filter(api_key_id=api_key(request).id, key=key).update(
            status_code=status, body=response.content.decode()
        )
    return response


def idempotency_purge() -> int:
    """Deletes records older than 24 hours (hourly, from beat); returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=hub_now() - KEEP_FOR).delete()
    return deleted
