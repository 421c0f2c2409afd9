"""The one shape of every error the API answers: `{"error": {type, code, message, param}}`.

Statuses follow Stripe's use of them: 400 a request that is wrong (`invalid_request_error`,
with the offending `param`), 401 no valid key, 403 a key without the scope, 404 an
unknown object (or another portal's: the same answer, so ids reveal nothing), 409 an
idempotency conflict, 415 a body that is not JSON, 429 too many requests. Every exception the API can meet is turned
into this shape here, so no response ever carries a traceback or pydantic's internals.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger(__name__)

INVALID_REQUEST = "invalid_request_error"
AUTHENTICATION = "authentication_error"
PERMISSION = "permission_error"
IDEMPOTENCY = "idempotency_error"
RATE_LIMIT = "rate_limit_error"
API = "api_error"


class ErrorDetail(Schema):
    type: str
    code: str
    message: str
    param: str | None


class ErrorOut(Schema):
    error: ErrorDetail


# The error answers every operation documents (beside its success).
ERROR_RESPONSES: dict[int, type[Schema]] = {
    status: ErrorOut for status in (400, 401, 403, 404, 429)
}
POST_ERROR_RESPONSES: dict[int, type[Schema]] = {**ERROR_RESPONSES, 409: ErrorOut, 415: ErrorOut}
IDEMPOTENCY_HEADER = {
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "maxLength": 255},
            "description": "Any unique string: the first response is kept for 24 hours and "
            "replayed to a retry with the same body.",
        }
    ]
}


class ApiError(Exception):
    """An answer other than success; raised anywhere below a view, rendered by `render`."""

    def __init__(
        self,
        status: int,
        type: str,
        code: str,
        message: str,
        param: str | None = None,
        *,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "type": self.type,
                "code": self.code,
                "message": self.message,
                "param": self.param,
            }
        }


def invalid(message: str, param: str | None = None, code: str = "parameter_invalid") -> ApiError:
    return ApiError(400, INVALID_REQUEST, code, message, param)


def refuse_nulls(given: dict[str, Any], *, nullable: Iterable[str] = ()) -> None:
    """A 400 on the first field of an update set to null that cannot be (JSON null is
    how a client clears a field, so only the clearable ones may be null)."""
    allowed = set(nullable)
    for name, value in given.items():
        if value is None and name not in allowed:
            raise invalid(f"{name} cannot be null.", name)


def not_found(resource: str, object_id: str) -> ApiError:
    return ApiError(
        404, INVALID_REQUEST, "resource_missing", f"No such {resource}: '{object_id}'.", "id"
    )


def render(error: ApiError) -> HttpResponse:
    response = JsonResponse(error.body(), status=error.status)
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    return response


def refusal(status: int, code: str, message: str) -> HttpResponse:
    """A request refused before any view ran (commerce.middleware's NUL check), in the
    API's shape: registered for /api/ in ApiConfig.ready."""
    return render(ApiError(status, INVALID_REQUEST, code, message))


def from_django_validation(exc: DjangoValidationError) -> ApiError:
    """A service's ValidationError: its first field and message, with its code."""
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.error_dict.items()))
        first = errors[0]
        param = None if field == "__all__" else field
    else:
        first = exc.error_list[0]
        param = None
    message = first.message % first.params if first.params else first.message
    return invalid(str(message), param, code=first.code or "parameter_invalid")


_PYDANTIC_MESSAGES = {
    "missing": "Missing required param: {param}.",
    "extra_forbidden": "Received unknown parameter: {param}.",
    "int_type": "Invalid integer: {param} must be a whole number.",
    "int_parsing": "Invalid integer: {param} must be a whole number.",
    "string_type": "Invalid string: {param} must be a string.",
    "bool_type": "Invalid boolean: {param} must be true or false.",
    "bool_parsing": "Invalid boolean: {param} must be true or false.",
    "literal_error": "Invalid {param}: must be one of {expected}.",
    "enum": "Invalid {param}: must be one of {expected}.",
    "greater_than_equal": "Invalid {param}: must be at least {ge}.",
    "less_than_equal": "Invalid {param}: must be at most {le}.",
    "string_too_long": "Invalid {param}: must be at most {max_length} characters.",
    "string_too_short": "Invalid {param}: must not be empty.",
    "dict_type": "Invalid {param}: must be an object.",
    "model_attributes_type": "Invalid {param}: must be an object.",
    "json_invalid": "The request body is not valid JSON.",
}


def _param(loc: tuple[Any, ...] | list[Any]) -> str | None:
    # ninja prefixes a location with where it came from ("body", "query", "path") and,
    # for a body, the schema's argument name: the param is what the client sent.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
        if parts and parts[0] in {"payload", "filters"}:
            parts = parts[1:]
    if not parts:
        return None
    return parts[0] + "".join(f"[{p}]" for p in parts[1:])


def _ctx_text(value: Any) -> Any:
    """A bound in pydantic's error context as a person writes it: Decimal("100") → 100."""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return value if isinstance(value, str | int | float) else str(value)


def from_pydantic(errors: list[dict[str, Any]]) -> ApiError:
    """The first error of a request that does not fit its schema, in words for people."""
    first = errors[0] if errors else {}
    param = _param(first.get("loc", ()))
    kind = first.get("type", "")
    ctx = {k: _ctx_text(v) for k, v in (first.get("ctx") or {}).items()}
    template = _PYDANTIC_MESSAGES.get(kind)
    generic = f"Invalid value for {param}." if param else "The request is not valid."
    try:
        message = generic if template is None else template.format(param=param or "body", **ctx)
    except (KeyError, IndexError):  # a bound of a type the template does not expect
        message = generic
    if first.get("msg", "").startswith("Value error, "):  # our own validators' words
        message = first["msg"].removeprefix("Value error, ")
    return invalid(
        message, param, code="parameter_missing" if kind == "missing" else "parameter_invalid"
    )


def install(api: NinjaAPI) -> None:
    """Routes every exception the API can meet to the one shape."""

    @api.exception_handler(ApiError)
    def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return render(exc)

    @api.exception_handler(NinjaValidationError)
    def _schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return render(from_pydantic(list(exc.errors)))

    @api.exception_handler(DjangoValidationError)
    def _service_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return render(from_django_validation(exc))

    @api.exception_handler(AuthenticationError)
    def _no_key(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return render(
            ApiError(
                401,
                AUTHENTICATION,
                "missing_api_key",
                "No valid API key provided. Send 'Authorization: Bearer chk_live_…'.",
            )
        )

    @api.exception_handler(RawPostDataException)
    def _form_body(request: HttpRequest, exc: RawPostDataException) -> HttpResponse:
        # A multipart body was already read as a form (commerce.middleware's NUL check),
        # so it cannot be read again as JSON: every body of this API is JSON.
        return render(
            invalid(
                "Send the request body as JSON, with Content-Type: application/json.",
                code="unsupported_content_type",
            )
        )

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return render(ApiError(404, INVALID_REQUEST, "resource_missing", "Not found."))

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        status = exc.status_code
        kind = INVALID_REQUEST if status < 500 else API
        return render(ApiError(status, kind, "http_error", str(exc.message)))

    @api.exception_handler(Exception)
    def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API request failed: %s %s", request.method, request.path)
        return render(ApiError(500, API, "internal_error", "Something went wrong on our side."))
