"""What the Content-Security-Policy must allow for Stripe in the browser (commerce/csp.py).

Read from settings on every response, so pointing STRIPE_JS_URL at another Stripe.js
(fakestripe's, in development and tests) moves the policy with it:
- Stripe's own Stripe.js (docs.stripe.com/security/guide#content-security-policy): the
  script and its frames from js.stripe.com, 3D Secure frames from hooks.stripe.com, API
  calls to api.stripe.com; Connect onboarding is a form post answered by a redirect to
  connect.stripe.com, which `form-action` governs too.
- Any other Stripe.js (fakestripe): its origin for the script, its frames and its API
  calls, and STRIPE_API_BASE's origin, where its hosted onboarding lives.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

STRIPE_JS_ORIGIN = "https://js.stripe.com"


def origin(url: str) -> str:
    """`scheme://host[:port]` of an absolute URL, or "" for anything else."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def stripe_csp_sources() -> dict[str, list[str]]:
    js = origin(settings.STRIPE_JS_URL)
    if not js:
        return {}
    if js == STRIPE_JS_ORIGIN:
        return {
            "script-src": [js, "https://*.js.stripe.com"],
            "frame-src": [js, "https://*.js.stripe.com", "https://hooks.stripe.com"],
            "connect-src": ["https://api.stripe.com"],
            "form-action": ["https://connect.stripe.com"],
        }
    api = origin(settings.STRIPE_API_BASE)
    hosted = list(dict.fromkeys(o for o in (js, api) if o))
    return {"script-src": [js], "frame-src": [js], "connect-src": [js], "form-action": hosted}
