"""The API request pipeline: auth, account, failures, idempotency, params, handler, render.

One `App` per server. `App.handle_api` turns a parsed HTTP request into a response
triple or raises `DropConnection`; the transport lives in server.py.
"""

from __future__ import annotations

import fnmatch
import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

from . import API_VERSION, PLATFORM, forms, params
from .errors import StripeError, invalid
from .render import dumps, render
from .store import Store, random_token

log = logging.getLogger("fakestripe")

Response = tuple[int, list[tuple[str, str]], bytes]
IDEMPOTENCY_TTL = 24 * 3600  # docs.stripe.com/api/idempotent_requests: kept 24 hours
REQUEST_LOG_SIZE = 100_000  # the newest API requests kept for /_fake/requests


class DropConnection(Exception):
    """Close the client connection without answering (injected network failure)."""


class Route:
    __slots__ = ("handler", "literal", "method", "params", "publishable", "segments", "template")

    def __init__(self, method, template, handler, params_name, publishable):
        self.method = method
        self.template = template
        self.handler = handler
        self.params = params_name
        self.publishable = publishable
        self.segments = template.strip("/").split("/")
        self.literal = [not (s.startswith("{") and s.endswith("}")) for s in self.segments]


ROUTES: dict[tuple[str, int, str], list[Route]] = {}


def route(method: str, template: str, params: str | None = None, publishable: bool = False):
    """Register a handler `fn(ctx, **path_args)` for an API path."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        r = Route(method, template, fn, params, publishable)
        key = (method, len(r.segments), r.segments[1])
        ROUTES.setdefault(key, []).append(r)
        return fn

    return register


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    segments = path.strip("/").split("/")
    if len(segments) < 2:
        return None
    for r in ROUTES.get((method, len(segments), segments[1]), ()):
        args = {}
        for seg, tmpl, literal in zip(segments, r.segments, r.literal, strict=True):
            if literal:
                if seg != tmpl:
                    break
            else:
                args[tmpl[1:-1]] = seg
        else:
            return r, args
    return None


class Ctx:
    """What a handler sees of one request."""

    __slots__ = ("app", "idempotency_key", "key_type", "owner", "params", "request_id", "store")

    def __init__(self, app: App, owner: str, key_type: str, request_id: str, idem: str | None):
        self.app = app
        self.store = app.store
        self.owner = owner
        self.key_type = key_type
        self.request_id = request_id
        self.idempotency_key = idem
        self.params: dict[str, Any] = {}

    def now(self) -> int:
        return self.store.now()

    def emit(self, type_: str, obj: dict[str, Any], previous=None, owner=None) -> None:
        self.app.events.emit(
            owner or self.owner, type_, obj, previous, self.request_id, self.idempotency_key
        )


class Failure:
    """An injected failure for the next `count` matching calls (see README.md)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.method = str(spec.get("method", "*")).upper()
        self.path = str(spec.get("path", "/v1/"))
        self.kind = spec.get("kind", "server_error")
        if self.kind not in ("rate_limit", "lock_timeout", "server_error", "delay", "drop"):
            raise ValueError(f"unknown failure kind {self.kind!r}")
        self.when = spec.get("when", "before")
        if self.when not in ("before", "after"):
            raise ValueError("when must be 'before' or 'after'")
        self.count = int(spec.get("count", 1))
        self.delay = float(spec.get("delay_seconds", 1.0))

    def matches(self, method: str, path: str, when: str) -> bool:
        if self.when != when or self.method not in ("*", method):
            return False
        if "*" in self.path or "?" in self.path:
            return fnmatch.fnmatchcase(path, self.path)
        return path.startswith(self.path)

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "kind": self.kind,
            "when": self.when,
            "count": self.count,
            "delay_seconds": self.delay,
        }

    def error(self) -> StripeError | None:
        # docs.stripe.com/rate-limits and docs.stripe.com/error-low-level
        if self.kind == "rate_limit":
            return StripeError(
                429,
                "Too many requests hit the API too quickly. We recommend an exponential "
                "backoff of your requests.",
                code="rate_limit",
                saved=False,
            )
        if self.kind == "lock_timeout":
            return StripeError(
                429,
                "This object cannot be accessed right now because another API request or "
                "Stripe process is currently accessing it. If you see this error "
                "intermittently, retry the request.",
                code="lock_timeout",
                headers={"Stripe-Should-Retry": "true"},
                saved=False,
            )
        if self.kind == "server_error":
            return StripeError(
                500,
                "An unknown error occurred while processing your request.",
                type="api_error",
                saved=False,
            )
        return None


class App:
    def __init__(self, store: Store | None = None) -> None:
        from .events import Events
        from .webhooks import Dispatcher

        self.store = store or Store()
        self.dispatcher = Dispatcher(self)
        self.events = Events(self)
        self.failures: list[Failure] = []
        self.failure_lock = threading.Lock()
        self.stats: dict[str, int] = {}
        # (arrived at, "METHOD /v1/template") of each API request, on this server's
        # monotonic clock: tests measure rates from when requests really arrived.
        self.request_log: deque[tuple[float, str]] = deque(maxlen=REQUEST_LOG_SIZE)
        self.idempotency: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self.idem_lock = threading.Lock()
        self.base_url = ""
        self.snapshot_path: str | None = None
        self.saved_version: int | None = None
        from . import resources

        resources.bootstrap(self.store)

    def reset(self) -> None:
        from . import resources

        with self.store.lock:
            self.dispatcher.clear()
            self.store.reset()
            resources.bootstrap(self.store)
            self.failures.clear()
            self.idempotency.clear()
            self.stats.clear()
            self.request_log.clear()

    # --- failure injection -------------------------------------------------------
    def take_failure(self, method: str, path: str, when: str) -> Failure | None:
        if not self.failures:
            return None
        with self.failure_lock:
            for failure in self.failures:
                if failure.matches(method, path, when):
                    failure.count -= 1
                    if failure.count <= 0:
                        self.failures.remove(failure)
                    return failure
        return None

    def _apply_failure(self, failure: Failure | None) -> StripeError | None:
        if failure is None:
            return None
        if failure.kind == "delay":
            time.sleep(failure.delay)
            return None
        if failure.kind == "drop":
            raise DropConnection()
        return failure.error()

    # --- the pipeline ------------------------------------------------------------
    def handle_api(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes):
        request_id = "req_" + random_token(14)
        base_headers = [
            ("Request-Id", request_id),
            ("Stripe-Version", API_VERSION),
            ("Access-Control-Allow-Origin", "*"),
        ]
        try:
            return self._handle(method, path, query, headers, body, request_id, base_headers)
        except DropConnection:
            raise
        except StripeError as exc:
            return self._error_response(exc, base_headers)
        except Exception:  # never a traceback on the wire: Stripe's api_error instead
            log.exception("fakestripe: unexpected error on %s %s", method, path)
            failure = StripeError(500, "An unknown error occurred", type="api_error")
            return self._error_response(failure, base_headers)

    def _error_response(self, exc: StripeError, base_headers) -> Response:
        hdrs = base_headers + list(exc.headers.items())
        return exc.status, hdrs, dumps(exc.body()).encode()

    def _handle(self, method, path, query, headers, body, request_id, base_headers) -> Response:
        arrived = time.monotonic()
        found = match(method, path)
        stat_key = f"{method} {found[0].template}" if found else f"{method} {path}"
        with self.idem_lock:
            self.stats[stat_key] = self.stats.get(stat_key, 0) + 1
            self.request_log.append((arrived, stat_key))
        key_type = self._authenticate(headers)
        owner = self._owner(headers)
        if found is None:
            # docs.stripe.com/api/errors: unknown URLs are invalid_request_error 404s
            raise StripeError(
                404,
                f"Unrecognized request URL ({method}: {path}). Please see "
                "https://stripe.com/docs or we can help at https://support.stripe.com/.",
            )
        r, args = found
        if key_type == "publishable" and not r.publishable:
            # docs.stripe.com/keys: publishable keys only reach client-side endpoints
            raise StripeError(
                401,
                "This API call cannot be made with a publishable API key. Please use a "
                "secret API key. You can find a list of your API keys at "
                "https://dashboard.stripe.com/account/apikeys.",
            )
        raw = forms.decode(body.decode("utf-8", "replace") if method == "POST" else query)
        idem = headers.get("idempotency-key") if method == "POST" else None
        if idem is not None:
            replay = self._idempotency_begin(owner, idem, method, path, raw)
            if replay is not None:
                return replay
        ctx = Ctx(self, owner, key_type, request_id, idem)
        saved = True
        try:
            # Injected "before" failures happen before execution: nothing is saved for
            # the idempotency key, so a retry executes normally.
            if self.failures:
                error = self._apply_failure(self.take_failure(method, path, "before"))
                if error is not None:
                    raise error
            try:
                secret = None
                if key_type == "publishable":
                    raw, secret = self._client_side(r, key_type, raw)
                ctx.params = params.clean(r.params, raw)
                if secret is not None:
                    ctx.params["_client_secret"] = secret
                with self.store.lock:
                    result = r.handler(ctx, **args)
                    status = 200
                    expand = ctx.params.get("expand")
                    payload = dumps(render(self.store, owner, result, expand) if expand else result)
            except StripeError as exc:
                saved = exc.saved
                status, payload = exc.status, dumps(exc.body())
                base_headers = base_headers + list(exc.headers.items())
            except Exception:
                log.exception("fakestripe: unexpected error on %s %s", method, path)
                status = 500
                payload = dumps(
                    StripeError(500, "An unknown error occurred", type="api_error").body()
                )
        except BaseException:
            if idem is not None:
                self._idempotency_abort(owner, idem)
            raise
        encoded = payload.encode()
        if idem is not None:
            if saved:
                self._idempotency_finish(owner, idem, status, base_headers, encoded)
            else:
                self._idempotency_abort(owner, idem)
            base_headers = [*base_headers, ("Idempotency-Key", idem)]
        if self.failures:
            error = self._apply_failure(self.take_failure(method, path, "after"))
            if error is not None:
                raise error
        return status, base_headers, encoded

    def _client_side(self, r: Route, key_type: str, raw: dict[str, Any]):
        """Stripe.js calls carry the intent's client secret (docs.stripe.com/js), also
        where the secret-key API has no such parameter (confirm)."""
        if (
            key_type == "publishable"
            and r.publishable
            and "client_secret" in raw
            and (not r.params or "client_secret" not in params.schema(r.params).raw)
        ):
            raw = dict(raw)
            return raw, raw.pop("client_secret")
        return raw, None

    def _authenticate(self, headers: dict[str, str]) -> str:
        # docs.stripe.com/api/authentication: Bearer (or Basic) with the API key
        auth = headers.get("authorization", "")
        key = ""
        if auth[:7].lower() == "bearer ":
            key = auth[7:].strip()
        elif auth[:6].lower() == "basic ":
            import base64

            try:
                key = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
            except Exception:
                key = ""
        if not key:
            raise StripeError(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for "
                "details, or we can help at https://support.stripe.com/.",
                type="invalid_request_error",
            )
        if key.startswith("sk_test_") and len(key) > 8:
            return "secret"
        if key.startswith("pk_test_") and len(key) > 8:
            return "publishable"
        shown = key[:8] + "*" * max(0, len(key) - 12) + key[-4:] if len(key) > 12 else key
        raise StripeError(401, f"Invalid API Key provided: {shown}", code="api_key_invalid")

    def _owner(self, headers: dict[str, str]) -> str:
        account = headers.get("stripe-account")
        if not account:
            return PLATFORM
        with self.store.lock:
            obj = self.store.objects.get(account)
            usable = (
                obj is not None
                and obj["object"] == "account"
                and self.store.owner.get(account) == PLATFORM
                and not self.store.priv(account).get("deauthorized")
            )
        if not usable:
            # docs.stripe.com/connect/authentication: no access → 403 account_invalid
            raise StripeError(
                403,
                "The provided key 'sk_test_*********' does not have access to account "
                f"'{account}' (or that account does not exist). Application access may "
                "have been revoked.",
                code="account_invalid",
                type="invalid_request_error",
            )
        return account

    # --- idempotency (docs.stripe.com/api/idempotent_requests) ------------------------
    def _idempotency_begin(self, owner, key, method, path, raw) -> Response | None:
        if len(key) > 255:
            raise invalid("Idempotency-Key must be at most 255 characters long.")
        now = time.monotonic()
        with self.idem_lock:
            self._prune(now)
            entry = self.idempotency.get((owner, key))
            if entry is None:
                self.idempotency[(owner, key)] = {
                    "state": "running",
                    "method": method,
                    "path": path,
                    "params": raw,
                    "at": now,
                }
                return None
        if entry["method"] != method or entry["path"] != path or entry["params"] != raw:
            raise StripeError(
                400,
                "Keys for idempotent requests can only be used with the same parameters "
                "they were first used with. Try using a key other than "
                f"'{key}' if you meant to execute a different request.",
                type="idempotency_error",
                saved=False,
            )
        if entry["state"] == "running":
            raise StripeError(
                409,
                "There is currently another in-progress request using this Idempotent Key "
                "(that probably means you submitted twice, and the other request is still "
                "going through): "
                f"{key}. Please try again later.",
                type="idempotency_error",
                code="idempotency_key_in_use",
                saved=False,
            )
        status, hdrs, body = entry["response"]
        return status, [*hdrs, ("Idempotency-Key", key), ("Idempotent-Replayed", "true")], body

    def _idempotency_finish(self, owner, key, status, hdrs, body) -> None:
        with self.idem_lock:
            entry = self.idempotency.get((owner, key))
            if entry is not None:
                entry["state"] = "done"
                entry["response"] = (status, list(hdrs), body)

    def _idempotency_abort(self, owner, key) -> None:
        with self.idem_lock:
            entry = self.idempotency.get((owner, key))
            if entry is not None and entry["state"] == "running":
                del self.idempotency[(owner, key)]

    def _prune(self, now: float) -> None:
        horizon = now - IDEMPOTENCY_TTL
        while self.idempotency:
            first = next(iter(self.idempotency.values()))
            if first["at"] >= horizon:
                break
            self.idempotency.popitem(last=False)
