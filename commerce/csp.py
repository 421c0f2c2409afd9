"""The Content-Security-Policy of every response (django-csp), and what other layers add.

The policy is in settings: `CONTENT_SECURITY_POLICY`, or `CONTENT_SECURITY_POLICY_REPORT_ONLY`
when `CSP_REPORT_ONLY=true`. Inline `<script>` and `<style>` blocks carry the request's
nonce (`nonce="{{ CSP_NONCE }}"`); event handler attributes (`onclick=`) are never
allowed, behaviour lives in static/js/.

Some sources depend on settings that can change at run time, such as the origin of
Stripe.js (`STRIPE_JS_URL`). The layer that knows them registers a provider in its
`AppConfig.ready()` (payments registers Stripe's); the middleware adds what the providers
return, read on every response, to both the enforced and the report-only policy.
"""

from __future__ import annotations

from collections.abc import Callable

from csp.constants import HEADER
from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponseBase

Sources = dict[str, list[str]]
_providers: list[Callable[[], Sources]] = []


def register_csp_sources(provider: Callable[[], Sources]) -> None:
    """`provider()` returns sources to add per directive, e.g. {"script-src": [origin]}."""
    if provider not in _providers:
        _providers.append(provider)


def registered_sources() -> Sources:
    merged: Sources = {}
    for provider in _providers:
        for directive, sources in provider().items():
            merged.setdefault(directive, []).extend(sources)
    return merged


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, plus the registered sources.

    A response that already carries its own policy (the API's JSON sends a fixed
    `default-src 'none'`) keeps it, and the hub's policy is not built for it: django-csp
    would build both policies on every response only to find the header set."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if HEADER in response:
            return response
        return super().process_response(request, response)

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        update = {
            k: [v] if isinstance(v, str) else list(v) for k, v in (parts.update or {}).items()
        }
        for directive, sources in registered_sources().items():
            update.setdefault(directive, []).extend(sources)
        parts.update = update
        return parts
