"""One algorithm for every kind of document, one small class of hooks per kind.

After Zulip's `BillingSession`: what every document does the same way (lock it, refuse
an action its status does not allow, number it gaplessly, write its lines, price them,
record a timeline entry and the change's event) is written once here; a kind
(quotes.kind.QuoteKind, invoices.kind.InvoiceKind) says which models, which error, which
transitions and which events.

Locking: `lock` takes the document's row (SELECT … FOR UPDATE) and must run inside the
caller's transaction; `next_number` locks the portal's settings row of the kind until
commit, so numbers are gapless and unique even when documents are numbered at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar, cast
from zoneinfo import ZoneInfo

from django.db import models
from django.db.models import prefetch_related_objects

from commerce import money, pricing
from commerce.clock import hub_now
from commerce.events.services import event_record
from commerce.mail import AttachmentRef
from commerce.notifications import send_templated_email
from commerce.portals.models import Portal, User

from .lines import MAX_LINES, DocumentError, LineInput, check_line
from .models import LineSnapshot, TimelineEntry
from .pricing import DocumentTotals, document_totals

D = TypeVar("D", bound=models.Model)  # a Document
T = TypeVar("T", bound=DocumentTotals)


def portal_today(portal: Portal, now: dt.datetime | None = None) -> dt.date:
    """The date it is in the portal's time zone: due dates and expiry count from it."""
    return (now or hub_now()).astimezone(ZoneInfo(portal.time_zone)).date()


@dataclass(frozen=True)
class Transition:
    """An action's legal source statuses, and how its refusal ends:
    "Q-0001 is draft: it cannot be <refusal>.", unless `refusals` has a whole sentence
    for the document's status ("Finalize the invoice before sending it.")."""

    sources: tuple[str, ...]
    refusal: str
    refusals: Mapping[str, str] = field(default_factory=dict)


class DocumentKind(Generic[D, T]):
    """The hooks of one kind of document `D` whose totals are `T`. Subclasses set the class
    attributes; the methods are the shared algorithm.

    A document model is a `Document` with a `status` (with its kind's choices), a
    `display_number`, its `lines` and its `events`; the methods read those through `Any`,
    as each kind declares them its own way."""

    model: type[D]  # its lines are `lines`, its timeline `events`
    settings_model: type[models.Model]  # per portal, with `last_number`
    error: type[DocumentError] = DocumentError
    # The document's name; also the foreign key of its lines and timeline entries.
    noun: ClassVar[str]
    article: ClassVar[str] = "A"  # "A quote can have at most 200 lines."
    # select_for_update(of=…) of `lock`: () locks every row the lock joins.
    lock_of: ClassVar[tuple[str, ...]] = ()
    lock_related: ClassVar[tuple[str, ...]] = ("portal",)
    # Saved with every status change, besides the status and the fields that change.
    touched: ClassVar[tuple[str, ...]] = ()
    # action → the statuses it may start from; one table per kind.
    transitions: ClassVar[Mapping[str, Transition]] = {}
    # The event (commerce/events/catalogue.py) that `send` records, if the kind has one.
    sent_event: ClassVar[str] = ""

    # --- Hooks -----------------------------------------------------------------------

    def number_prefix(self, kind_settings: Any) -> str:
        """Printed before a new number; the settings row is locked."""
        return ""

    def line_for(self, line: LineInput) -> LineInput:
        """A line as this kind stores it (an invoice bills once: one-time lines)."""
        return line

    def compute(self, lines: Sequence[pricing.Line], **terms: Any) -> T:
        """Totals of priced lines under the document's terms: a kind whose totals are more
        than `DocumentTotals` (a quote's discount) overrides it."""
        return cast(T, document_totals(lines, terms.get("currency", money.DEFAULT_CURRENCY)))

    def pricing_terms(self, document: D) -> dict[str, Any]:
        """The document's own terms for `compute`."""
        return {}

    def sent_detail(self, email: str, *, sent_before: bool) -> str:
        """The timeline's detail when the document is e-mailed to its contact."""
        return f"To {email}"

    def keep_totals(self, document: D, totals: T) -> None:
        """Called when the lines are written, with their totals (an invoice stores them)."""

    # --- The algorithm -----------------------------------------------------------------

    @property
    def pdf_attachment(self) -> str:
        """The e-mail attachment kind under which the app registers the document's PDF
        renderer (commerce.mail.register_attachment, in its AppConfig.ready())."""
        return f"{self.noun}_pdf"

    @property
    def line_model(self) -> type[LineSnapshot]:
        return cast(type[LineSnapshot], self.model._meta.get_field("lines").related_model)

    @property
    def event_model(self) -> type[TimelineEntry]:
        return cast(type[TimelineEntry], self.model._meta.get_field("events").related_model)

    def create(
        self,
        portal: Portal,
        *,
        actor: User | None,
        lines: Sequence[LineInput],
        event: str = "created",
        detail: str = "",
        **fields: Any,
    ) -> D:
        """A new document of `portal` with `fields` and `lines`, its creation on the
        timeline as `event`."""
        document = self.model._default_manager.create(portal=portal, **fields)
        self.write_lines(document, lines)
        self.record(document, event, actor=actor, detail=detail)
        return document

    def update(
        self, locked: D, *, actor: User | None, lines: Sequence[LineInput], **fields: Any
    ) -> D:
        """Replaces the locked document's `fields` and lines; records the edit."""
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
        self.write_lines(locked, lines)
        self.record(locked, "updated", actor=actor)
        return locked

    def lock(self, document: D) -> D:
        """The document again, its row locked until commit (inside a transaction)."""
        row: Any = document
        return (
            self.model._default_manager.select_for_update(of=self.lock_of)
            .select_related(*self.lock_related)
            .get(pk=row.pk, portal_id=row.portal_id)
        )

    def issuable_lines(self, locked: D, issuing: str) -> list[Any]:
        """The lines of a document about to go to its buyer (`issuing`: "publishing",
        "finalizing"): one without lines or without a contact is refused."""
        row: Any = locked
        # Kept on the document: the event of its change snapshots them without a query.
        prefetch_related_objects([row], "lines")
        lines = list(row.lines.all())
        if not lines:
            raise self.error(f"Add at least one line item before {issuing}.")
        if row.contact_id is None:
            raise self.error(f"Choose the contact this {self.noun} is for before {issuing}.")
        return lines

    def allows(self, document: D, action: str) -> bool:
        row: Any = document
        return row.status in self.transitions[action].sources

    def check(self, document: D, action: str) -> None:
        """Refuses `action` unless the document's status is one it may start from."""
        row: Any = document
        transition = self.transitions[action]
        if row.status in transition.refusals:
            raise self.error(transition.refusals[row.status])
        if row.status not in transition.sources:
            status = row.get_status_display().lower()
            raise self.error(
                f"{row.display_number} is {status}: it cannot be {transition.refusal}."
            )

    def move(
        self,
        locked: D,
        status: str,
        *,
        event: str,
        actor: User | None = None,
        detail: str = "",
        **fields: Any,
    ) -> D:
        """Gives the locked document `status` and `fields`, saves just those, and records
        `event` on its timeline."""
        for name, value in {"status": status, **fields}.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", *fields, *self.touched])
        self.record(locked, event, actor=actor, detail=detail)
        return locked

    def record(
        self, document: D, kind: str, *, actor: User | None = None, detail: str = ""
    ) -> TimelineEntry:
        """Adds an entry to the document's timeline."""
        fields = {self.noun: document, "kind": kind}
        return self.event_model._default_manager.create(**fields, actor=actor, detail=detail[:500])

    def record_event(self, locked: D, type: str) -> None:
        """Records the event `type` of the locked document's change (commerce.events), in
        the change's transaction and after its write. The snapshot the kind's app registered
        reads the document's lines, so they are loaded here unless the change already did
        (one SELECT at most; the event itself is one INSERT)."""
        row: Any = locked
        prefetch_related_objects([row], "lines")
        event_record(portal=row.portal_id, type=type, obj=row)

    def send(
        self, document: D, *, actor: User | None, template: str, context: Callable[[D], dict]
    ) -> D:
        """E-mails the document to its contact with its PDF, after commit, and records when,
        with the kind's `sent_event` if it has one (locks the document; the mail task
        renders the PDF after commit, so WeasyPrint never runs while the row is locked).
        `context(locked)` is the e-mail's context."""
        locked: Any = self.lock(document)
        self.check(locked, "send")
        contact = locked.contact
        if contact is None:  # a sendable status requires one; kept for type checkers
            raise self.error(f"The {self.noun} has no contact to send it to.")
        sent_before = locked.sent_at is not None
        send_templated_email(
            to=[contact.email],
            template=template,
            context=context(locked),
            reply_to=(actor.email if actor else None) or locked.portal.support_email or None,
            attachments=[AttachmentRef(self.pdf_attachment, locked.pk)],
        )
        locked.sent_at = hub_now()
        locked.save(update_fields=["sent_at"])
        self.record(
            locked,
            "sent",
            actor=actor,
            detail=self.sent_detail(contact.email, sent_before=sent_before),
        )
        if self.sent_event:
            self.record_event(locked, self.sent_event)
        return locked

    def settings_for(self, portal: Portal) -> Any:
        kind_settings, _ = self.settings_model._default_manager.get_or_create(portal=portal)
        return kind_settings

    def next_number(self, portal: Portal) -> tuple[str, int]:
        """(prefix, number) of the portal's next document, gapless: the settings row stays
        locked until commit, so a concurrent numbering waits, and a rolled-back one gives
        its number back."""
        self.settings_for(portal)
        locked: Any = self.settings_model._default_manager.select_for_update().get(portal=portal)
        locked.last_number += 1
        locked.save(update_fields=["last_number"])
        return self.number_prefix(locked), locked.last_number

    def write_lines(self, document: D, lines: Sequence[LineInput]) -> T:
        """Replaces the document's lines (as `line_for` stores them), checked and priced
        under the document's terms first; returns their totals."""
        row: Any = document
        if len(lines) > MAX_LINES:
            raise self.error(f"{self.article} {self.noun} can have at most {MAX_LINES} lines.")
        stored = [self.line_for(line) for line in lines]
        for line in stored:
            if line.product is not None and line.product.portal_id != row.portal_id:
                raise self.error("Choose products of this portal.")
        totals = self.price(stored, **self.pricing_terms(document))
        row.lines.all().delete()
        self.line_model._default_manager.bulk_create(
            self.line_model(**{self.noun: document}, position=position, **line.snapshot())
            for position, line in enumerate(stored)
        )
        self.keep_totals(document, totals)
        return totals

    def price(self, lines: Sequence[LineInput | LineSnapshot], **terms: Any) -> T:
        """Totals of lines (entered or stored), or the kind's error saying what is wrong."""
        for index, line in enumerate(lines, start=1):
            if isinstance(line, LineInput):
                check_line(line, label=f"Line {index}", error=self.error)
        try:
            totals = self.compute([pricing.Line.from_snapshot(line) for line in lines], **terms)
        except pricing.PricingError as exc:
            raise self.error(str(exc)) from None
        if totals.subtotal > money.MAX_DOCUMENT_CENTS:
            raise self.error(
                f"The lines come to {money.format_cents(totals.subtotal, totals.currency)}: "
                f"{self.article.lower()} {self.noun} can come to at most "
                f"{money.format_cents(money.MAX_DOCUMENT_CENTS, totals.currency)}. "
                "Split it into several."
            )
        return totals

    def totals(self, document: D, lines: Sequence[LineSnapshot] | None = None) -> T:
        row: Any = document
        if lines is None:
            lines = list(row.lines.all())
        return self.price(lines, **self.pricing_terms(document))

    def contents(self, document: D) -> tuple[list[Any], T | None, str]:
        """(lines, totals, problem) of a document's page: totals are None, and `problem`
        says why, when the lines cannot be priced (only possible on a draft)."""
        row: Any = document
        lines = list(row.lines.all())
        try:
            return lines, self.totals(document, lines), ""
        except self.error as exc:
            return lines, None, str(exc)


@dataclass(frozen=True)
class DocumentContents:
    """What a document's page, PDF or e-mail shows besides the document itself."""

    lines: list[Any]
    totals: DocumentTotals | None
    problem: str  # why totals could not be computed (only possible on a draft)

    @property
    def rows(self) -> list[tuple[Any, int]]:
        """(line, its amount: quantity x unit price) for the lines table; discounts and tax
        are the rows under it (`DocumentTotals.rows`)."""
        if self.totals is None:
            return [(line, 0) for line in self.lines]
        return list(zip(self.lines, self.totals.line_amounts, strict=True))
