"""Payment links: selectors and services.

A link's lines are snapshots of products (name, SKU, billing frequency and term copied
when the line is added), with their own quantity, price and discount. Saving a link
replaces its lines in one transaction; open checkouts keep the order they froze.
Uses and revenue are derived from succeeded checkouts and their payments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from commerce import money, pricing
from commerce.catalog.models import Product
from commerce.clock import hub_now
from commerce.events.services import event_record
from commerce.portals.access import get_for_portal
from commerce.portals.models import Portal, User
from payments.events import link_prefetch_lines
from payments.models import Checkout, Payment, PaymentLink, PaymentLinkLine

# Stripe's smallest USD charge (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
MINIMUM_CHARGE = 50
MAX_LINES = 50
RESERVATION_MINUTES = 30

LINK_FIELDS = (
    "name",
    "allow_quantity_change",
    "min_quantity",
    "max_quantity",
    "collect_billing_address",
    "collect_shipping_address",
    "collect_phone",
    "single_use",
    "expires_at",
    "max_payments",
)


# --- Selectors -----------------------------------------------------------------------


def _revenue_subquery() -> Subquery:
    payments = (
        Payment.objects.filter(checkout__payment_link=OuterRef("pk"))
        .exclude(status=Payment.Status.FAILED)
        .order_by()
        .values("checkout__payment_link")
        .annotate(total=Sum(F("amount") - F("refunded_amount")))
        .values("total")
    )
    return Subquery(payments, output_field=IntegerField())


def link_list(*, portal: Portal, search: str = "") -> QuerySet[PaymentLink]:
    """The portal's links, newest first, each annotated with `uses`, `revenue` (gross
    collected minus refunds, cents) and `line_count`: one query whatever the count."""
    links: QuerySet[PaymentLink] = PaymentLink.objects.filter(portal=portal)
    for word in search.split():
        links = links.filter(name__icontains=word)
    uses = (
        Checkout.objects.filter(payment_link=OuterRef("pk"), status=Checkout.Status.SUCCEEDED)
        .order_by()
        .values("payment_link")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return links.annotate(
        uses=Coalesce(Subquery(uses, output_field=IntegerField()), Value(0)),
        revenue=Coalesce(_revenue_subquery(), Value(0)),
        line_count=Count("lines"),
    ).order_by("-created_at", "-id")


def link_detail(*, portal: Portal, pk: int) -> PaymentLink:
    """One link with `uses` and `revenue`; raises PaymentLink.DoesNotExist."""
    return link_list(portal=portal).get(pk=pk)


@dataclass(frozen=True)
class LinkListing:
    links: list[PaymentLink]
    has_any: bool  # tells "no links yet" from "no link matches the search"


def link_listing(*, portal: Portal, search: str = "", limit: int = 200) -> LinkListing:
    """The list page: the newest `limit` links matching `search`, annotated as in
    `link_list`."""
    links = list(link_list(portal=portal, search=search)[:limit])
    has_any = bool(links) or bool(search and PaymentLink.objects.for_portal(portal).exists())
    return LinkListing(links=links, has_any=has_any)


def link_for_detail(*, portal: Portal, pk: int) -> PaymentLink:
    """`link_detail`, but another portal's link (or none) is a 404."""
    return get_for_portal(link_list(portal=portal), portal, pk=pk)


def link_get(*, portal: Portal, pk: int) -> PaymentLink:
    """One link of `portal` to change; another portal's is a 404."""
    return get_for_portal(PaymentLink.objects.all(), portal, pk=pk)


def link_lines(*, link: PaymentLink) -> list[PaymentLinkLine]:
    return list(link.lines.all())


def link_recent_checkouts(*, link: PaymentLink, limit: int = 10) -> list[Checkout]:
    return list(
        Checkout.objects.filter(
            portal_id=link.portal_id, payment_link=link, status=Checkout.Status.SUCCEEDED
        )
        .select_related("contact")
        .order_by("-completed_at")[:limit]
    )


def link_path(link: PaymentLink) -> str:
    return reverse("public:checkout", args=[link.slug])


def link_totals(lines: list[PaymentLinkLine], currency: str) -> pricing.Totals:
    return pricing.compute(
        [pricing.Line.from_snapshot(line, ref=str(line.pk)) for line in lines], currency
    )


class Unavailable:
    """Why a link takes no payment now: shown to the buyer as is."""

    INACTIVE = "inactive"
    EXPIRED = "expired"
    USED = "used"
    IN_USE = "in_use"


def link_unavailable_reason(
    link: PaymentLink, *, now: datetime | None = None, exclude_checkout_id: int | None = None
) -> str | None:
    """None when a buyer may pay `link` now, else an `Unavailable` reason.

    A limited link counts its succeeded checkouts and the live reservations of buyers
    paying right now (`exclude_checkout_id`: the asking buyer's own). One query, and
    only for limited links.
    """
    now = now or hub_now()
    if not link.active:
        return Unavailable.INACTIVE
    if link.expires_at is not None and link.expires_at <= now:
        return Unavailable.EXPIRED
    limit = link.payment_limit
    if limit is None:
        return None
    counts = (
        Checkout.objects.filter(payment_link=link)
        .exclude(pk=exclude_checkout_id or 0)
        .aggregate(
            paid=Count("pk", filter=Q(status=Checkout.Status.SUCCEEDED)),
            held=Count(
                "pk",
                filter=Q(
                    status__in=[Checkout.Status.OPEN, Checkout.Status.PROCESSING],
                    reserved_until__gt=now,
                ),
            ),
        )
    )
    if counts["paid"] >= limit:
        return Unavailable.USED
    if counts["paid"] + counts["held"] >= limit:
        return Unavailable.IN_USE
    return None


def link_status(link: PaymentLink, uses: int, now: datetime | None = None) -> tuple[str, str]:
    """(label, tone) for the list's badge: Active, Inactive, Expired or Used up."""
    now = now or hub_now()
    if not link.active:
        return "Inactive", "grey"
    if link.expires_at is not None and link.expires_at <= now:
        return "Expired", "amber"
    limit = link.payment_limit
    if limit is not None and uses >= limit:
        return "Used up", "blue"
    return "Active", "green"


# --- Services ------------------------------------------------------------------------


@dataclass(frozen=True)
class LineSpec:
    """A line as the editor submits it: an existing line (its snapshot is kept) or a
    product (copied now). `unit_amount` None means the product's price."""

    quantity: int
    unit_amount: int | None = None
    discount_percent: Decimal | None = None
    discount_amount: int | None = None
    line_id: int | None = None
    product_id: int | None = None


def _build_lines(
    portal: Portal, specs: list[LineSpec], existing: dict[int, PaymentLinkLine]
) -> list[PaymentLinkLine]:
    """The lines `specs` describe; `existing` are the link's lines now, by id."""
    if not specs:
        raise ValidationError("Add at least one line item.")
    if len(specs) > MAX_LINES:
        raise ValidationError(f"A payment link has at most {MAX_LINES} lines.")
    product_ids = {s.product_id for s in specs if s.product_id and not s.line_id}
    products = {
        p.pk: p
        for p in Product.objects.for_portal(portal).filter(pk__in=product_ids, archived=False)
    }
    lines = []
    for position, spec in enumerate(specs):
        if spec.line_id:
            old = existing.get(spec.line_id)
            if old is None:
                raise ValidationError("A line of this link no longer exists. Reload the page.")
            line = PaymentLinkLine(
                portal=portal,
                product_id=old.product_id,
                name=old.name,
                sku=old.sku,
                unit_amount=old.unit_amount,
                tax_rate=old.tax_rate,
                billing_frequency=old.billing_frequency,
                term_periods=old.term_periods,
            )
        else:
            product = products.get(spec.product_id or 0)
            if product is None:
                raise ValidationError("Choose an active product from your library for every line.")
            line = PaymentLinkLine(
                portal=portal,
                product=product,
                name=product.name,
                sku=product.sku,
                unit_amount=product.unit_price,
                billing_frequency=product.billing_frequency,
                term_periods=product.term_periods,
            )
        if spec.unit_amount is not None:
            line.unit_amount = spec.unit_amount
        line.quantity = spec.quantity
        line.discount_percent = spec.discount_percent
        line.discount_amount = spec.discount_amount
        line.position = position
        lines.append(line)
    return lines


def _check(link: PaymentLink, lines: list[PaymentLinkLine]) -> None:
    if link.max_quantity < link.min_quantity:
        raise ValidationError("The maximum quantity must be at least the minimum.")
    if link.allow_quantity_change:
        for line in lines:
            if not link.min_quantity <= line.quantity <= link.max_quantity:
                raise ValidationError(
                    f"“{line.name}”: the default quantity must be between "
                    f"{link.min_quantity} and {link.max_quantity}."
                )
    try:
        totals = link_totals(lines, link.currency)
    except pricing.PricingError as exc:
        raise ValidationError(str(exc)) from None
    if totals.total < MINIMUM_CHARGE:
        raise ValidationError(
            f"The total due today must be at least {money.format_cents(MINIMUM_CHARGE)}: "
            "card payments below that are refused."
        )
    refusal = money.card_limit_refusal(totals.total, link.currency, what="The total due today")
    if refusal:
        raise ValidationError(f"{refusal} Lower the quantities or prices.")


@transaction.atomic
def payment_link_create(
    *, portal: Portal, user: User | None, lines: list[LineSpec], **fields: Any
) -> PaymentLink:
    """Creates a link and its line snapshots. Raises ValidationError."""
    link = PaymentLink(portal=portal, created_by=user, currency=portal.currency)
    for name in LINK_FIELDS:
        if name in fields:
            setattr(link, name, fields[name])
    if link.expires_at is not None and link.expires_at <= hub_now():
        raise ValidationError("The expiry date has passed: a new link would never work.")
    built = _build_lines(portal, lines, {})
    _check(link, built)
    link.save()
    for line in built:
        line.link = link
    PaymentLinkLine.objects.bulk_create(built)
    _record(link, "payment_link.created", uses=0)
    return link


_LINE_TERMS = (
    "product_id",
    "name",
    "sku",
    "quantity",
    "unit_amount",
    "discount_percent",
    "discount_amount",
    "tax_rate",
    "billing_frequency",
    "term_periods",
)


def _state(link: PaymentLink, lines: list[PaymentLinkLine]) -> tuple:
    """What a buyer or a webhook receiver sees of a link: its settings and lines."""
    return (
        tuple(getattr(link, name) for name in (*LINK_FIELDS, "active")),
        tuple(tuple(getattr(line, name) for name in _LINE_TERMS) for line in lines),
    )


def _paid_uses(link: PaymentLink) -> int:
    """How many times a limited link was paid (one COUNT; 0 for an unlimited link, whose
    status does not depend on it)."""
    if link.payment_limit is None:
        return 0
    return Checkout.objects.filter(payment_link=link, status=Checkout.Status.SUCCEEDED).count()


def _record(link: PaymentLink, type: str, *, uses: int | None = None) -> None:
    """Records `type` for `link` in the change's transaction, its lines loaded for the
    snapshot and its uses counted for its status."""
    link.uses = _paid_uses(link) if uses is None else uses  # type: ignore[attr-defined]
    event_record(portal=link.portal_id, type=type, obj=link_prefetch_lines(link))


@transaction.atomic
def payment_link_update(*, link: PaymentLink, lines: list[LineSpec], **fields: Any) -> PaymentLink:
    """Changes a link and replaces its lines (locks the link, so a buyer reserving its
    last use waits). Checkouts already started keep the order they froze."""
    locked = PaymentLink.objects.select_for_update().get(pk=link.pk, portal_id=link.portal_id)
    existing = list(PaymentLinkLine.objects.filter(link=locked, portal_id=locked.portal_id))
    before = _state(locked, existing)
    for name in LINK_FIELDS:
        if name in fields:
            setattr(locked, name, fields[name])
    built = _build_lines(locked.portal, lines, {line.pk: line for line in existing})
    _check(locked, built)
    locked.save()
    PaymentLinkLine.objects.filter(link=locked).delete()
    for line in built:
        line.link = locked
    PaymentLinkLine.objects.bulk_create(built)
    if _state(locked, built) != before:
        _record(locked, "payment_link.updated")
    return locked


@transaction.atomic
def payment_link_set_active(*, link: PaymentLink, active: bool) -> PaymentLink:
    """Deactivates (buyers see "no longer available") or reactivates a link."""
    locked = PaymentLink.objects.select_for_update().get(pk=link.pk, portal_id=link.portal_id)
    if locked.active == active:
        return locked
    locked.active = active
    locked.save(update_fields=["active", "updated_at"])
    _record(locked, "payment_link.updated" if active else "payment_link.deactivated")
    return locked
