"""The hot reads' answers: a body built from snapshots, rendered as ninja renders it,
without ninja validating it against the operation's schema on the way out.

ninja validates a returned dict against the response schema field by field (through
its Django attribute getter), which costs more than the query behind a page of 100
payments. The snapshots are plain JSON types built by one function per object
(registered with commerce/events/); the tests of each resource that answers this way
hold its bodies to the schema (strict validation, nothing more, nothing less), and the
operation still declares its response schema, so the OpenAPI document is the same.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from ninja.renderers import JSONRenderer

_renderer = JSONRenderer()
_CONTENT_TYPE = f"{_renderer.media_type}; charset={_renderer.charset}"


def rendered(body: dict[str, Any], status: int = 200) -> HttpResponse:
    """`body` as JSON, as the API renders every answer."""
    content = _renderer.render(None, body, response_status=status)  # type: ignore[arg-type]
    return HttpResponse(content, status=status, content_type=_CONTENT_TYPE)
