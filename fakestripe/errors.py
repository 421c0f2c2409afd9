"""Stripe's error object and HTTP codes (docs.stripe.com/api/errors)."""

from __future__ import annotations

from typing import Any


class StripeError(Exception):
    """An error answered as Stripe's `{"error": {...}}` with an HTTP status.

    `saved` is False for errors that happen before the request starts executing
    (validation, conflicts): no idempotent result is kept for them
    (docs.stripe.com/api/idempotent_requests).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        saved: bool = True,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.extra = extra or {}
        self.headers = headers or {}
        self.saved = saved

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://docs.stripe.com/error-codes/{self.code.replace('_', '-')}"
        if self.decline_code:
            error["decline_code"] = self.decline_code
        if self.param:
            error["param"] = self.param
        error.update(self.extra)
        return {"error": error}


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> StripeError:
    """A 400 raised while validating parameters: never saved for idempotency."""
    return StripeError(400, message, param=param, code=code, saved=False)


def missing(param: str) -> StripeError:
    return invalid(f"Missing required param: {param}.", param=param, code="parameter_missing")


def unknown(param: str) -> StripeError:
    return invalid(f"Received unknown parameter: {param}", param=param, code="parameter_unknown")


def not_found(kind: str, ident: str, param: str = "id") -> StripeError:
    # docs.stripe.com/error-codes/resource-missing
    return StripeError(
        404, f"No such {kind}: '{ident}'", code="resource_missing", param=param, saved=True
    )


def state_error(message: str, code: str = "payment_intent_unexpected_state") -> StripeError:
    return StripeError(400, message, code=code)
