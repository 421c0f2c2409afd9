"""`Idempotency-Key` on POST: the first response is kept for 24 hours per API key and key.

The same key with the same body replays that response (status and body) and runs nothing;
with another body it is a 409. The record is inserted and committed *before* the request
runs, so a second request with the same key meanwhile is told the first is in progress
(409), as Stripe does. The work and the stored response commit together, so a request
either happened with its answer kept or did not happen. A request that needs Stripe
(a refund) runs outside that transaction (`atomic=False`), so no row stays locked while
Stripe answers; its Stripe idempotency key is derived from this key, so a retry after a
lost answer is the same refund. A record left in progress by a process that died is
taken over after `LOST_AFTER`. Errors raised before the request runs (no key, a missing
scope, a body that does not fit the schema) are not recorded, so a fixed retry with the
same key works; nor is a 409 of the work (it conflicted with work under way, such as a
subscription's charge, and changed nothing: a retry with the same key runs again, as at
Stripe); an unexpected failure forgets the record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import nullcontext
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
LOST_AFTER = timedelta(minutes=5)
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
    """Inserts and commits the record (None: this request runs) or returns the one there."""
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
            lost = existing.status_code is None and existing.created_at <= now - LOST_AFTER
            if existing.created_at > now - KEEP_FOR and not lost:
                return existing
            # Older than 24 hours, or never answered: the key is free again. Only one
            # of several requests doing this at once deletes it and inserts its own.
            IdempotencyRecord.objects.filter(
                pk=existing.pk, created_at=existing.created_at
            ).delete()
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
        if exc.status == 409:  # a conflict with work under way: forgotten, not replayed
            raise
        return exc.status, exc.body()
    except ValidationError as exc:
        error = from_django_validation(exc)
        return error.status, error.body()


def idempotent(
    request: HttpRequest, run: Callable[[], Result], *, atomic: bool = True
) -> HttpResponse:
    """Runs `run` (a POST's work: status and body) at most once per Idempotency-Key;
    in one transaction with its stored answer unless `atomic` is False (see above)."""
    key = request.headers.get(HEADER)
    if key is None:
        status, body = _run(run)
        return JsonResponse(body, status=status)
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise invalid(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters.", HEADER)
    request_hash = _request_hash(request)
    key_id = api_key(request).id
    existing = _claim(key_id=key_id, key=key, request_hash=request_hash)
    if existing is not None:
        return _replay(existing, request_hash)
    record = IdempotencyRecord.objects.filter(api_key_id=key_id, key=key, status_code=None)
    try:
        with transaction.atomic() if atomic else nullcontext():
            status, body = _run(run)
            response = JsonResponse(body, status=status)
            record.update(status_code=status, body=response.content.decode())
    except BaseException:
        record.delete()
        raise
    return response


def idempotency_purge() -> int:
    """Deletes records older than 24 hours (hourly, from beat); returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=hub_now() - KEEP_FOR).delete()
    return deleted
