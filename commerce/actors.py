"""Who acts when it is not a signed-in user: the label of an API key, for the timelines.

A request through the public API runs inside `acting_via(...)`; a timeline row written
meanwhile (a quote's or invoice's entry, a subscription's event, a refund) takes the
label as its `via` by default, so every service records it without being told. The core
knows only a label: the API (a higher layer) says what it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

VIA_MAX_LENGTH = 120

_via: ContextVar[Callable[[], str] | None] = ContextVar("commerce_acting_via", default=None)


@contextmanager
def acting_via(label: Callable[[], str]) -> Iterator[None]:
    """Rows written inside record `label()` as their `via` (read when a row is made, so a
    caller may set it before it knows who acts)."""
    token = _via.set(label)
    try:
        yield
    finally:
        _via.reset(token)


def current_via() -> str:
    """The label of who acts through something other than the UI, or ''."""
    label = _via.get()
    return label()[:VIA_MAX_LENGTH] if label is not None else ""
