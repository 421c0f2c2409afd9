"""Helpers shared by the resource modules."""

from __future__ import annotations

from typing import Any

from ..errors import invalid
from ..events import snapshot as snapshot  # deep copy of a JSON object (for events)

ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")


def address(value: Any) -> dict[str, Any]:
    value = value if isinstance(value, dict) else {}
    return {k: value.get(k) or None for k in ADDRESS_KEYS}


def update_metadata(obj: dict[str, Any], new: Any, previous: dict[str, Any]) -> None:
    """docs.stripe.com/metadata: keys merge; an empty value unsets a key; "" clears all."""
    if new is None:
        return
    old = obj.get("metadata") or {}
    if new == "":
        merged: dict[str, str] = {}
    else:
        merged = dict(old)
        for key, value in new.items():
            if len(key) > 40:
                raise invalid(
                    f"Invalid metadata: keys can be at most 40 characters long ({key}).",
                    param=f"metadata[{key}]",
                )
            if value == "":
                merged.pop(key, None)
            else:
                if len(str(value)) > 500:
                    raise invalid(
                        "Invalid metadata: values can be at most 500 characters long.",
                        param=f"metadata[{key}]",
                    )
                merged[key] = str(value)
    if len(merged) > 50:
        raise invalid("Invalid metadata: at most 50 keys are allowed.", param="metadata")
    if merged != old:
        previous["metadata"] = old
        obj["metadata"] = merged


def new_metadata(value: Any) -> dict[str, str]:
    if value is None or value == "" or (type(value) is dict and not value):
        return {}  # what the merge below gives for no metadata
    obj: dict[str, Any] = {"metadata": {}}
    update_metadata(obj, value if value is not None else {}, {})
    return obj["metadata"]


def set_fields(obj: dict[str, Any], params: dict[str, Any], names, previous: dict[str, Any]):
    """Plain scalar updates; "" unsets (docs.stripe.com/api: emptyable parameters)."""
    for name in names:
        if name in params:
            value = params[name]
            if value == "":
                value = None
            if obj.get(name) != value:
                previous[name] = obj.get(name)
                obj[name] = value


def sub_list(url: str, data: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"object": "list", "data": data or [], "has_more": False, "url": url}


def require(params: dict[str, Any], name: str) -> Any:
    from ..errors import missing

    if params.get(name) in (None, ""):
        raise missing(name)
    return params[name]
