"""What a Stripe event must look like before the hub stores it.

Stripe sends sane events, but a signed event that cannot be stored must not be a 500:
Stripe would retry it for three days. The columns the hub fills from an event (its id,
type, account, API version and creation time) must fit, and the raw payload must be
storable as JSON on every database: PostgreSQL's jsonb and text refuse NUL (U+0000),
unpaired surrogates and NaN/Infinity. An event that fails is answered 400 with the
reason (webhook) or skipped with a warning (reconcile); nothing of it is stored.
"""

from __future__ import annotations

import math
import re
from typing import Any

from django.db.models import CharField

from payments.models import StripeEvent

# `created` is Unix seconds; a date the hub can store runs from 1970 to the end of 9999.
MAX_CREATED = 253_402_300_799

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


# The event's string fields the hub keeps in columns: (key, column, required).
_COLUMNS = (
    ("id", "stripe_id", True),
    ("type", "type", True),
    ("account", "account", False),
    ("api_version", "api_version", False),
)


def _max_length(column: str) -> int:
    field = StripeEvent._meta.get_field(column)
    assert isinstance(field, CharField) and field.max_length is not None
    return field.max_length


def event_problem(data: Any) -> str | None:
    """Why `data` (a decoded event) cannot be stored, in a short sentence; None when it can."""
    if not isinstance(data, dict):
        return "the event is not a JSON object"
    for key, column, required in _COLUMNS:
        value = data.get(key)
        if value is None and not required:
            continue
        if not isinstance(value, str) or (required and not value):
            return f"`{key}` is not a string"
        limit = _max_length(column)
        if len(value) > limit:
            return f"`{key}` is longer than {limit} characters"
    created = data.get("created")
    if isinstance(created, bool) or not isinstance(created, int):
        return "`created` is not an integer"
    if not 0 <= created <= MAX_CREATED:
        return "`created` is not a time between 1970 and 9999"
    return _unstorable_value(data)


def _unstorable_value(data: dict[str, Any]) -> str | None:
    # Iterative, so a deeply nested payload cannot exhaust the stack.
    pending: list[Any] = [data]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if _UNSTORABLE.search(key):
                    return "a key contains a NUL character or an unpaired surrogate"
                pending.append(value)
        elif isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, str):
            if _UNSTORABLE.search(node):
                return "a string contains a NUL character or an unpaired surrogate"
        elif isinstance(node, float) and not math.isfinite(node):
            return "a number is NaN or infinite"
    return None
