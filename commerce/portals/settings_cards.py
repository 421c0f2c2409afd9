"""Cards that other apps add to the settings overview.

The core knows none of the apps above it: an app registers its card in its
`AppConfig.ready()` with `register_settings_card(name, card)`. On each visit of the
overview, `card(portal=…, membership=…)` returns what to show (a template and its
context, rendered with `card` bound to that context) or None when this member should
not see it. Cards show after the core's own, in the order they were registered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from .models import Membership, Portal


@dataclass(frozen=True)
class SettingsCard:
    template: str
    context: dict[str, Any] = field(default_factory=dict)


class CardFunc(Protocol):
    def __call__(self, *, portal: Portal, membership: Membership) -> SettingsCard | None: ...


_cards: dict[str, CardFunc] = {}


def register_settings_card(name: str, card: CardFunc) -> None:
    """Adds (or, under the same name, replaces) a card of the settings overview."""
    _cards[name] = card


def settings_cards(*, portal: Portal, membership: Membership) -> list[SettingsCard]:
    shown = (card(portal=portal, membership=membership) for card in _cards.values())
    return [card for card in shown if card is not None]
