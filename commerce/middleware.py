"""Refuses requests that carry a NUL character, before any view or query sees them.

PostgreSQL text cannot hold NUL (U+0000): a NUL that reaches a query is a DataError, a
500. No person types one, so a NUL anywhere in the path, the query string, a header or
cookie, a form's fields or file names, or a JSON body is a 400 (the hub's 400 page, or
a JSON error for a JSON request), in one place instead of in every view. A form body
that cannot be parsed is a 400 too.

A higher layer that answers in its own shape under a path prefix (the public API under
/api/) registers a refusal renderer for it (`register_refusal`, from its AppConfig.ready):
requests there are refused through it, and their bodies are only scanned as bytes, never
parsed as a form, since that layer reads the body itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django.core.exceptions import BadRequest, RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError

NUL = "\x00"
MESSAGE = "The request contains a NUL character."

# In JSON a NUL is the escape \u0000 (a raw one is not JSON): a backslash that is not
# itself escaped, then u0000 in any case.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000|\x00", re.IGNORECASE)

_NO_BODY = ("GET", "HEAD", "OPTIONS")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

# (status, code, message) -> the response of a refused request, in the layer's shape.
Refusal = Callable[[int, str, str], HttpResponse]
_refusals: dict[str, Refusal] = {}


def register_refusal(prefix: str, render: Refusal) -> None:
    """Requests whose path starts with `prefix` are refused with `render`, and their
    bodies are left unparsed for the layer that owns them."""
    _refusals[prefix] = render


def _refusal_for(path: str) -> Refusal | None:
    for prefix, render in _refusals.items():
        if path.startswith(prefix):
            return render
    return None


def is_json(request: HttpRequest) -> bool:
    content_type = request.content_type or ""
    return content_type == "application/json" or content_type.endswith("+json")


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refuse = _refusal_for(request.path_info)
        if refuse is not None:
            try:
                carries_nul = _carries_nul(request, raw_body=True)
            except RequestDataTooBig:
                return refuse(413, "request_too_large", "The request body is too large.")
            if carries_nul:
                return refuse(400, "nul_character", MESSAGE)
            return self.get_response(request)
        if _carries_nul(request):
            if is_json(request):
                return JsonResponse({"error": MESSAGE}, status=400)
            raise BadRequest(MESSAGE)
        return self.get_response(request)


def _carries_nul(request: HttpRequest, *, raw_body: bool = False) -> bool:
    if NUL in request.path_info or NUL in request.path:
        return True
    headers = ((k, v) for k, v in request.META.items() if k.startswith("HTTP_"))
    if _any_nul(headers) or _any_nul(request.GET.lists()) or _any_nul(request.COOKIES.items()):
        return True
    if raw_body:
        # Reading the body keeps it readable by the layer (request.POST would consume a
        # multipart stream); a raw NUL or a JSON escape of one is refused either way.
        return request.method not in _NO_BODY and _JSON_NUL.search(request.body) is not None
    if request.method != "POST":
        return False
    if request.content_type in _FORM_TYPES:
        try:
            post, files = request.POST, request.FILES
        except MultiPartParserError:
            raise BadRequest("The form data could not be read.") from None
        names = ((name, [f.name or "" for f in found]) for name, found in files.lists())
        return _any_nul(post.lists()) or _any_nul(names)
    if is_json(request):
        return _JSON_NUL.search(request.body) is not None
    return False


def _any_nul(pairs: Iterable[tuple[str, object]]) -> bool:
    for key, value in pairs:
        if NUL in key:
            return True
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and NUL in v for v in values):
            return True
    return False
