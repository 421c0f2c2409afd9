"""What a checkout can pay for: the payable registry.

The hosted checkout is built once in payments; the apps above it (quotes, invoices,
subscriptions) build on it, never the other way round. So payments learns about them
the way the webhook pipeline learns about its handlers (`handles`) and dj-stripe about
its webhook handlers: each app registers its hooks in its `AppConfig.ready()` and the
checkout calls whatever is registered.

- A payable kind, one per `Checkout.source` (`register_payable`): `on_paid`, called by
  the completion once the checkout is paid; and, for a document paid from its own page
  (a quote, an invoice), `describe`, the start hook that checks the document can be
  paid now and describes it as a `documents.Document` (order, buyer, wording, the page
  to go back to). A payment link is payments' own kind.
- Completion hooks (`register_completion_hook`): run at every paid checkout, whatever
  it paid (subscriptions creates its rows from the order's recurring lines).
- Intent resolvers (`register_intent_resolver`): a PaymentIntent event of no checkout
  is offered to the app that named itself in the intent's metadata (subscriptions: the
  `billing_attempt` of a later period).

Every hook runs inside the completion's transaction, in registration order, after the
Payment is recorded: a hook that raises undoes the whole completion. The system check
`check_payables` (payments.E001) refuses to start when a checkout source has no payable.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.core import checks

from commerce.customers.models import Contact
from payments.models import Checkout, Payment

if TYPE_CHECKING:
    from payments.checkout.documents import Document


class PaidHook(Protocol):
    """The payable's kind was paid: record it on the thing paid (idempotent)."""

    def __call__(self, *, checkout: Checkout, payment: Payment) -> None: ...


class CompletionHook(Protocol):
    """A checkout was paid, whatever it paid for: record what follows from its order."""

    def __call__(self, *, checkout: Checkout, contact: Contact, payment_intent: dict) -> None: ...


class IntentResolver(Protocol):
    """Settles a PaymentIntent (as re-fetched from Stripe) of no checkout; False when it
    names nothing of the resolver's app."""

    def __call__(self, *, account: str, payment_intent: dict) -> bool: ...


# The document as loaded by its app, plus the app's own start options.
DescribeHook = Callable[..., "Document"]


@dataclass(frozen=True)
class Payable:
    source: str  # a Checkout.source value
    on_paid: PaidHook
    describe: DescribeHook | None = None  # documents only: see documents.py

    @property
    def is_document(self) -> bool:
        return self.describe is not None


class UnknownPayable(LookupError):
    """No app registered a payable for this checkout source."""


PAYABLES: dict[str, Payable] = {}
COMPLETION_HOOKS: list[CompletionHook] = []
INTENT_RESOLVERS: dict[str, IntentResolver] = {}


def register_payable(
    *, source: str, on_paid: PaidHook, describe: DescribeHook | None = None
) -> Payable:
    """Registers the payable kind of `source` (from its app's AppConfig.ready()).
    Registering the same hooks again is a no-op; other hooks for a known source are an
    error, as two handlers of one webhook event are."""
    payable = Payable(source=source, on_paid=on_paid, describe=describe)
    known = PAYABLES.get(source)
    if known is not None and known != payable:
        raise RuntimeError(f"two payables for checkout source {source!r}")
    PAYABLES[source] = payable
    return payable


def payable_for(source: str) -> Payable:
    try:
        return PAYABLES[source]
    except KeyError:
        raise UnknownPayable(f"no payable registered for checkout source {source!r}") from None


def register_completion_hook(hook: CompletionHook) -> CompletionHook:
    if hook not in COMPLETION_HOOKS:
        COMPLETION_HOOKS.append(hook)
    return hook


def register_intent_resolver(*, metadata_key: str, resolve: IntentResolver) -> None:
    """`resolve` settles the PaymentIntents whose metadata carries `metadata_key`."""
    known = INTENT_RESOLVERS.get(metadata_key)
    if known is not None and known != resolve:
        raise RuntimeError(f"two resolvers for PaymentIntent metadata {metadata_key!r}")
    INTENT_RESOLVERS[metadata_key] = resolve


def intent_resolver_for(payment_intent: dict) -> IntentResolver | None:
    """The resolver of an intent that belongs to no checkout, chosen by its metadata."""
    metadata = payment_intent.get("metadata") or {}
    for key, resolve in INTENT_RESOLVERS.items():
        if metadata.get(key):
            return resolve
    return None


class _DocumentSources(Collection[str]):
    """The sources of the registered document payables, read at each use: modules
    import it before the apps above payments have registered theirs."""

    def _sources(self) -> list[str]:
        return [source for source, payable in PAYABLES.items() if payable.is_document]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources())

    def __contains__(self, source: object) -> bool:
        return source in self._sources()

    def __len__(self) -> int:
        return len(self._sources())

    def __repr__(self) -> str:
        return f"DOCUMENT_SOURCES{tuple(self._sources())!r}"


DOCUMENT_SOURCES: Collection[str] = _DocumentSources()


def checkout_sources() -> list[str]:
    return [str(value) for value, _ in Checkout._meta.get_field("source").choices or ()]


def check_payables(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """System check: every source a Checkout can have is payable (a checkout of an
    unregistered source could be paid and never marked on the thing it paid)."""
    sources = checkout_sources()
    errors: list[checks.CheckMessage] = [
        checks.Error(
            f"Checkout source {source!r} has no registered payable: its checkouts could "
            "be paid and never recorded on what they paid for.",
            hint="Call payments.checkout.payables.register_payable(source=...) in the "
            "AppConfig.ready() of the app that owns it, and list that app in "
            "INSTALLED_APPS.",
            obj=Checkout,
            id="payments.E001",
        )
        for source in sources
        if source not in PAYABLES
    ]
    errors.extend(
        checks.Error(
            f"A payable is registered for {source!r}, which is not a Checkout.source choice.",
            hint="Add it to the choices of Checkout.source (payments/models.py).",
            obj=Checkout,
            id="payments.E002",
        )
        for source in PAYABLES
        if source not in sources
    )
    return errors
