"""`Authorization: Bearer chk_live_…`: the key acts for its portal with exactly its scopes."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from commerce.clock import hub_now

from . import keycache, ratelimit
from .errors import AUTHENTICATION, PERMISSION, RATE_LIMIT, ApiError
from .keycache import VerifiedKey
from .services import SECRET_PREFIX, secret_hash


def _refused(code: str, message: str) -> ApiError:
    return ApiError(401, AUTHENTICATION, code, message)


class ApiKeyAuth(HttpBearer):
    """Verifies the key (from memory after its first request in this process), counts
    the request against the key's rate limit and records its use once a minute."""

    def authenticate(self, request: HttpRequest, token: str) -> VerifiedKey:
        if not token.startswith(SECRET_PREFIX) or len(token) > 200:
            raise _refused("invalid_api_key", "Invalid API key provided.")
        key = keycache.lookup(secret_hash(token))
        if key is None:
            raise _refused("invalid_api_key", "Invalid API key provided.")
        if key.revoked:
            raise _refused("api_key_revoked", "This API key has been revoked.")
        if key.expired(hub_now()):
            raise _refused("api_key_expired", "This API key has expired.")
        # Named by its hash, not its id: unique across every database sharing one Redis.
        wait = ratelimit.retry_after(key.digest[:32])
        if wait is not None:
            raise ApiError(
                429,
                RATE_LIMIT,
                "rate_limit",
                "Too many requests with this API key. Retry after the time in Retry-After.",
                retry_after=wait,
            )
        keycache.touch(key)
        return key


def api_key(request: HttpRequest) -> VerifiedKey:
    key = getattr(request, "auth", None)
    assert isinstance(key, VerifiedKey)
    return key


def require_scope(request: HttpRequest, scope: str) -> VerifiedKey:
    """The request's key, or a 403 when it lacks `scope`."""
    key = api_key(request)
    if scope not in key.scopes:
        raise ApiError(
            403,
            PERMISSION,
            "missing_scope",
            f"This API key does not have the '{scope}' scope.",
        )
    return key
