"""Form-encoded bodies with bracket notation: `a[b][0]=x`, `expand[]=y`.

(docs.stripe.com/api: "The API accepts form-encoded request bodies".) Lists arrive as
dicts with numeric keys (`a[0]`, `a[1]`) or as repeated `a[]`; the parameter schema
turns numeric-keyed dicts into lists where a list is expected.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from .errors import invalid


def decode(text: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if not text:
        return result
    # urllib.parse.parse_qsl(text, keep_blank_values=True), inlined: "&"-separated
    # fields, empty ones skipped, "+" is a space, then %-decoding (UTF-8, errors
    # replaced); unquote is skipped where there is no "%" (it would return its input).
    for field in text.split("&"):
        if not field:
            continue
        key, _, value = field.partition("=")
        if "+" in key:
            key = key.replace("+", " ")
        if "%" in key:
            key = unquote(key)
        if "+" in value:
            value = value.replace("+", " ")
        if "%" in value:
            value = unquote(value)
        if "[" not in key:
            result[key] = value
            continue
        _insert(result, key, value)
    return result


def _insert(result: dict[str, Any], key: str, value: str) -> None:
    head, _, rest = key.partition("[")
    parts = [head]
    for piece in rest.split("["):
        if not piece.endswith("]"):
            raise invalid(f"Invalid parameter name: {key}", param=key)
        parts.append(piece[:-1])
    node: Any = result
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "":
            if not isinstance(node, list):
                raise invalid(f"Invalid array parameter: {key}", param=key)
            if last:
                node.append(value)
                return
            child: Any = {}
            node.append(child)
            node = child
            continue
        if isinstance(node, list):
            raise invalid(f"Invalid parameter name: {key}", param=key)
        if last:
            node[part] = value
            return
        nxt = parts[i + 1]
        existing = node.get(part)
        if existing is None or isinstance(existing, str):
            existing = [] if nxt == "" else {}
            node[part] = existing
        node = existing
