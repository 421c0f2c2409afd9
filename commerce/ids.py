"""Ids, numbers and tokens taken from a request: the one parser for all of them.

Python's `int()` and `str.isdigit()` accept far more than a person types: "²" is a digit
to `isdigit()` but not to `int()`, "٣" is 3 to `int()`, and a 25-digit number is a fine
Python int that SQLite cannot bind (OverflowError) and a PostgreSQL bigint cannot hold.
Every id or number read from a URL, a query string or a form goes through `parse_int`
(or `parse_id`): ASCII digits only, within the database's integer range, else None. A
buyer's token is checked by shape (`is_token`) before it reaches the database.
"""

from __future__ import annotations

import re
from typing import Any

# The range of a 64-bit integer column: PostgreSQL's bigint, SQLite's INTEGER. Ids are
# BigAutoField, so an id outside it names no row.
MAX_INT = 2**63 - 1

_DIGITS = re.compile(r"[0-9]{1,19}")  # 19 ASCII digits hold every value up to MAX_INT

# `secrets.token_urlsafe` and the link slugs: base64url letters, at most 64 (the column).
TOKEN_PATTERN = r"[A-Za-z0-9_-]{1,64}"
_TOKEN = re.compile(TOKEN_PATTERN)


def parse_int(value: Any, *, minimum: int = 0, maximum: int = MAX_INT) -> int | None:
    """The integer `value` spells in ASCII digits (surrounding spaces allowed), within
    [minimum, maximum]; None for anything else (signs, other digits, too many)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not _DIGITS.fullmatch(text):
            return None
        number = int(text)
    else:
        return None
    return number if minimum <= number <= maximum else None


def parse_id(value: Any) -> int | None:
    """A row id: a positive integer within the database's range, else None."""
    return parse_int(value, minimum=1)


def is_token(value: Any) -> bool:
    """Whether `value` has the shape of a public token or link slug."""
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


class TokenConverter:
    """`<token:name>` in a URL: a malformed token is a 404 from the resolver, with no query."""

    regex = TOKEN_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
