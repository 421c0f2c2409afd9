"""Expanding responses (docs.stripe.com/api/expanding_objects).

`expand[]=latest_charge.balance_transaction` replaces ids by objects, up to four levels;
`data.` addresses each element of a list. Only the expanded paths are copied: stored
objects are never modified by rendering. An *includable* field (a charge's `refunds`
since API version 2022-11-15) is absent unless expanded.
"""

from __future__ import annotations

import json
from json import encoder as _json_encoder
from typing import Any

from . import PLATFORM
from .errors import invalid
from .store import Store

MAX_DEPTH = 4

# json.dumps(obj) with its default settings, minus the per-call encoder set-up and the
# circular-reference bookkeeping (stored objects are trees): the same C encoder, the
# same separators and escaping, so the same text.
_C_ENCODE = (
    _json_encoder.c_make_encoder(
        None,  # no circular-reference markers
        json.JSONEncoder().default,
        _json_encoder.encode_basestring_ascii,
        None,  # indent
        ": ",
        ", ",
        False,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )
    if _json_encoder.c_make_encoder is not None
    else None
)


def dumps(obj: Any) -> str:
    """`json.dumps(obj)` for a JSON object (a dict); anything else goes to json.dumps."""
    if _C_ENCODE is None or type(obj) is not dict:
        return json.dumps(obj)
    return "".join(_C_ENCODE(obj, 0))


def _charge_refunds(store: Store, owner: str, charge: dict[str, Any]) -> dict[str, Any]:
    """docs.stripe.com/api/charges/object#charge_object-refunds: the newest ten refunds."""
    ids = [i for i in store.private.get(charge["id"], {}).get("refunds", []) if i in store.objects]
    return {
        "object": "list",
        "data": [dict(store.objects[i]) for i in reversed(ids[-10:])],
        "has_more": len(ids) > 10,
        "url": f"/v1/charges/{charge['id']}/refunds",
    }


# (object type, field) → the field's value, for fields only `expand[]` includes.
INCLUDABLE = {("charge", "refunds"): _charge_refunds}


def render(store: Store, owner: str, obj: Any, expand: list[str] | None) -> Any:
    if not expand:
        return obj
    out = dict(obj)
    for path in expand:
        parts = path.split(".")
        depth = len(parts) - (1 if obj.get("object") == "list" and parts[0] == "data" else 0)
        if depth > MAX_DEPTH:
            raise invalid(
                f"You cannot expand more than {MAX_DEPTH} levels of a property. Property: {path}",
                param="expand",
            )
        _expand(store, owner, out, parts, path)
    return out


def _expand(store: Store, owner: str, node: dict[str, Any], parts: list[str], path: str) -> None:
    field, rest = parts[0], parts[1:]
    if field not in node:
        include = INCLUDABLE.get((str(node.get("object")), field))
        if include is None:
            raise invalid(f"This property cannot be expanded ({path}).", param="expand")
        node[field] = include(store, owner, node)
    value = node[field]
    if value is None:
        return
    if isinstance(value, list):
        items = []
        for item in value:
            copy = _resolve(store, owner, item, path)
            if rest:
                _expand(store, owner, copy, rest, path)
            items.append(copy)
        node[field] = items
        return
    if isinstance(value, dict) and value.get("object") == "list" and rest and rest[0] == "data":
        copy = dict(value)
        node[field] = copy
        _expand(store, owner, copy, rest, path)
        return
    copy = _resolve(store, owner, value, path)
    node[field] = copy
    if rest:
        _expand(store, owner, copy, rest, path)


def _resolve(store: Store, owner: str, value: Any, path: str) -> dict[str, Any]:
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, str):
        found = store.find(value)
        if found is not None:
            obj_owner, obj = found
            if obj_owner in (owner, "*") or (
                obj["object"] == "application_fee" and obj_owner == PLATFORM
            ):
                return dict(obj)
    raise invalid(f"This property cannot be expanded ({path}).", param="expand")
