"""Helpers of fakestripe's own tests (imported, not collected); the shape checks are in
typecheck.py."""

from __future__ import annotations

import requests

from .typecheck import check_response


def api(fakestripe, method: str, path: str, *, key: str | None = None, headers=None, **kw):
    """A raw HTTP call (wire-level tests); JSON bodies are shape-checked too."""
    h = {"Authorization": f"Bearer {key or fakestripe.secret_key}"}
    h.update(headers or {})
    resp = requests.request(method, fakestripe.url + path, headers=h, timeout=30, **kw)
    if resp.headers.get("Content-Type", "").startswith("application/json"):
        check_response(resp.json())
    return resp
