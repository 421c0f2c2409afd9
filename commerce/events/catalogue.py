"""The catalogue of event types: every type the hub records, when it fires, and a sample
of its payload. The one place that names them: `event_record` refuses a type that is not
here, the settings pages offer these types, the in-app page and docs/events.md render
them (a test keeps the file in step: `python -m commerce.events.catalogue > docs/events.md`).

A type's object is the JSON snapshot that the owning app registers for its model
(`register_snapshot`); amounts are integer cents beside a `currency`, times are ISO 8601.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EventType:
    name: str
    object_type: str
    fires: str
    # Overrides of the object type's sample (a status the event implies).
    sample_changes: tuple[tuple[str, Any], ...] = ()
    # Sent only to one endpoint on request; endpoints cannot subscribe to it.
    internal: bool = False

    @property
    def sample_object(self) -> dict[str, Any]:
        return {**SAMPLE_OBJECTS[self.object_type], **dict(self.sample_changes)}

    @property
    def sample_payload(self) -> dict[str, Any]:
        return {
            "id": "evt_3qD8m1ZkT0cJp5Wq8vN2aYxL",
            "type": self.name,
            "created": "2026-08-01T16:00:00+00:00",
            "portal": "6f1c2a7e-52c4-4d5e-9d1b-0b8f3f0c9a11",
            "data": {"object": self.sample_object},
        }


_TIMES = {"created": "2026-07-01T14:05:00+00:00", "updated": "2026-07-01T14:05:00+00:00"}
_ADDRESS = {
    "line1": "120 Harbor Way",
    "line2": "",
    "city": "Oakland",
    "state": "CA",
    "postal_code": "94607",
    "country": "US",
}
# A checkout's line: what the buyer was charged for, frozen when it completed.
_ORDER_LINE = {
    "name": "Growth plan",
    "sku": "PLAN-GROWTH",
    "quantity": 2,
    "unit_amount": 14900,
    "billing_frequency": "monthly",
    "term_periods": 12,
    "amount": 29800,
}
# A line of a payment link, quote or invoice, with its price terms.
_LINE = {
    **_ORDER_LINE,
    "description": "Up to 25 seats",
    "discount_percent": None,
    "discount_amount": None,
    "tax_rate": "0.000",
}

_AT = "2026-07-01T14:05:00+00:00"


def _quote_transitions(**times: str) -> dict[str, str | None]:
    """A quote's `status_transitions`: published at _AT, then `times`."""
    return {
        **dict.fromkeys(("published", "accepted", "declined", "expired", "paid")),
        "published": _AT,
        **times,
    }


def _invoice_transitions(**times: str) -> dict[str, str | None]:
    """An invoice's `status_transitions`: finalized at _AT, then `times`."""
    return {
        **dict.fromkeys(("finalized", "paid", "voided", "marked_uncollectible")),
        "finalized": _AT,
        **times,
    }


SAMPLE_OBJECTS: dict[str, dict[str, Any]] = {
    "contact": {
        "id": "42",
        "object": "contact",
        "email": "maya@brightpath.io",
        "first_name": "Maya",
        "last_name": "Okafor",
        "company": "BrightPath Logistics",
        "phone": "+1 415 555 0134",
        "billing_address": _ADDRESS,
        "shipping_address": _ADDRESS,
        **_TIMES,
    },
    "product": {
        "id": "7",
        "object": "product",
        "name": "Growth plan",
        "sku": "PLAN-GROWTH",
        "description": "Up to 25 seats",
        "unit_price": 14900,
        "unit_cost": 2600,
        "currency": "usd",
        "billing_frequency": "monthly",
        "term_periods": 12,
        "archived": False,
        **_TIMES,
    },
    "payment": {
        "id": "311",
        "object": "payment",
        "status": "succeeded",
        "amount": 29800,
        "amount_refunded": 0,
        "fee": 894,
        "net": 28906,
        "currency": "usd",
        "source": "payment_link",
        "contact": "42",
        "checkout": "518",
        "card_brand": "visa",
        "card_last4": "4242",
        "stripe_payment_intent": "pi_3PqX2b",
        "failure_code": "",
        "failure_message": "",
        "dispute": None,
        "paid": "2026-07-01T14:05:00+00:00",
        "created": "2026-07-01T14:05:00+00:00",
    },
    "checkout": {
        "id": "518",
        "object": "checkout",
        "status": "succeeded",
        "source": "payment_link",
        "source_id": "12",
        "contact": "42",
        "email": "maya@brightpath.io",
        "lines": [_ORDER_LINE],
        "total": 29800,
        "currency": "usd",
        "payment": "311",
        "completed": "2026-07-01T14:05:00+00:00",
    },
    "payment_link": {
        "id": "12",
        "object": "payment_link",
        "name": "Growth plan, monthly",
        "url": "https://hub.example.com/pay/Xq81bTzP4kLw0aYv9dRfE2sHc7nJuG5m/",
        "active": True,
        "status": "active",
        "lines": [_LINE],
        "total": 29800,
        "currency": "usd",
        **_TIMES,
    },
    "quote": {
        "id": "88",
        "object": "quote",
        "number": "Q-0007",
        "title": "Growth plan for BrightPath",
        "status": "published",
        "contact": "42",
        "lines": [_LINE],
        "discount_percent": None,
        "discount_amount": None,
        "subtotal": 29800,
        "discount": 0,
        "tax": 0,
        "total": 29800,
        "currency": "usd",
        "expires_on": "2026-07-31",
        "requires_payment": True,
        "terms": "Payment due on acceptance.",
        "comments": "",
        "accepted_by": "",
        "decline_reason": "",
        "payment": None,
        "status_transitions": _quote_transitions(),
        **_TIMES,
    },
    "invoice": {
        "id": "203",
        "object": "invoice",
        "number": "INV-0042",
        "status": "open",
        "contact": "42",
        "quote": "88",
        "lines": [_LINE],
        "subtotal": 29800,
        "discount": 0,
        "tax": 0,
        "total": 29800,
        "amount_paid": 0,
        "amount_due": 29800,
        "currency": "usd",
        "issue_date": "2026-07-01",
        "payment_terms": "net_30",
        "due_date": "2026-07-31",
        "memo": "",
        "sent": None,
        "status_transitions": _invoice_transitions(),
        **_TIMES,
    },
    "subscription": {
        "id": "64",
        "object": "subscription",
        "status": "active",
        "contact": "42",
        "checkout": "518",
        "amount": 29800,
        "currency": "usd",
        "billing_frequency": "monthly",
        "start_date": "2026-07-01",
        "next_billing_date": "2026-08-01",
        "periods_billed": 1,
        "term_periods": 12,
        "cancel_at_period_end": False,
        "cancelled_at": None,
        "ended_at": None,
        **_TIMES,
    },
    "stripe_account": {
        "id": "acct_1PqX2bQ9",
        "object": "stripe_account",
        "status": "ready",
        "previous_status": "pending_verification",
        "charges_enabled": True,
        "payouts_enabled": True,
    },
    "webhook_endpoint": {
        "id": "3",
        "object": "webhook_endpoint",
        "url": "https://example.com/hooks/commerce",
        "description": "Accounting sync",
    },
}


def _t(name: str, object_type: str, fires: str, **changes: Any) -> EventType:
    return EventType(name, object_type, fires, tuple(changes.items()))


EVENT_TYPES: tuple[EventType, ...] = (
    _t(
        "payment.succeeded",
        "payment",
        "A payment succeeded: a checkout, an invoice paid by card or a subscription renewal.",
    ),
    _t(
        "payment.failed",
        "payment",
        "A card payment failed (declined, or not authenticated): a buyer's on a hosted "
        "checkout, or a subscription's renewal charge (with `subscription.payment_failed`). "
        "The hub keeps no payment row for a failed attempt: the object's `id` is Stripe's "
        "PaymentIntent id; `checkout` names the checkout, which stays open for another "
        "card (null for a renewal, whose `source` is `subscription`). Each failed attempt "
        "fires once.",
        id="pi_3PqX2b",
        status="failed",
        fee=None,
        net=None,
        card_last4="0002",
        failure_code="card_declined",
        failure_message="Your card was declined. Please use another card, or contact your bank.",
        paid=None,
    ),
    _t(
        "payment.refunded",
        "payment",
        "A refund of a payment succeeded, in full or in part.",
        status="partially_refunded",
        amount_refunded=10000,
    ),
    _t(
        "payment.disputed",
        "payment",
        "The buyer's bank opened a dispute on a payment (once per dispute).",
        status="disputed",
        dispute={
            "id": "du_1PqX2b",
            "status": "needs_response",
            "reason": "fraudulent",
            "amount": 29800,
            "due_by": "2026-07-15T23:59:59+00:00",
        },
    ),
    _t(
        "checkout.completed",
        "checkout",
        "A buyer completed a hosted checkout (payment link, quote or invoice): its payment "
        "succeeded (`payment` names it; payment.succeeded fires with it).",
    ),
    _t("payment_link.created", "payment_link", "A payment link was created."),
    _t(
        "payment_link.updated",
        "payment_link",
        "A payment link's settings or lines were changed, or it was reactivated.",
    ),
    _t(
        "payment_link.deactivated",
        "payment_link",
        "A payment link stopped taking payments: deactivated by hand (`active` false, "
        "`status` inactive), or its last use was paid (a single-use link or one with a "
        "maximum of payments: `status` used_up).",
        active=False,
        status="inactive",
    ),
    _t("quote.published", "quote", "A quote was published and its page is live for the buyer."),
    _t(
        "quote.accepted",
        "quote",
        "The buyer signed and accepted a quote.",
        status="accepted",
        accepted_by="Maya Okafor",
        status_transitions=_quote_transitions(accepted="2026-07-03T09:12:00+00:00"),
    ),
    _t(
        "quote.declined",
        "quote",
        "The buyer declined a quote.",
        status="declined",
        decline_reason="We went with a smaller plan.",
        status_transitions=_quote_transitions(declined="2026-07-03T09:12:00+00:00"),
    ),
    _t(
        "quote.expired",
        "quote",
        "A quote passed its expiry date without being accepted.",
        status="expired",
        status_transitions=_quote_transitions(expired="2026-08-01T07:00:00+00:00"),
    ),
    _t(
        "quote.paid",
        "quote",
        "The buyer paid an accepted quote.",
        status="paid",
        accepted_by="Maya Okafor",
        payment="311",
        status_transitions=_quote_transitions(
            accepted="2026-07-03T09:12:00+00:00", paid="2026-07-03T09:14:00+00:00"
        ),
    ),
    _t(
        "invoice.finalized",
        "invoice",
        "A draft invoice was finalized and got its number (its status is past due at once "
        "when its due date is already over).",
    ),
    _t(
        "invoice.sent",
        "invoice",
        "An invoice was e-mailed to the buyer (again on each resend).",
        sent="2026-07-01T14:06:00+00:00",
    ),
    _t(
        "invoice.paid",
        "invoice",
        "An invoice was paid in full (card or manual payment).",
        status="paid",
        amount_paid=29800,
        amount_due=0,
        status_transitions=_invoice_transitions(paid="2026-07-20T16:40:00+00:00"),
    ),
    _t(
        "invoice.partially_paid",
        "invoice",
        "A payment (card or manual) covered part of what an invoice has due; the status "
        "stays past due if it was.",
        status="partially_paid",
        amount_paid=10000,
        amount_due=19800,
    ),
    _t(
        "invoice.past_due",
        "invoice",
        "An open or partially paid invoice passed its due date (checked every few minutes, "
        "in the portal's time zone).",
        status="past_due",
    ),
    _t(
        "invoice.voided",
        "invoice",
        "An invoice was voided.",
        status="void",
        amount_due=0,
        status_transitions=_invoice_transitions(voided="2026-07-02T10:00:00+00:00"),
    ),
    _t(
        "invoice.marked_uncollectible",
        "invoice",
        "An invoice was written off as uncollectible.",
        status="uncollectible",
        status_transitions=_invoice_transitions(marked_uncollectible="2026-09-15T10:00:00+00:00"),
    ),
    _t(
        "subscription.created",
        "subscription",
        "A subscription was created (checkout, accepted quote or by hand).",
    ),
    _t(
        "subscription.updated",
        "subscription",
        "A subscription's items, prices or next billing date changed, or it was set to "
        "cancel at the end of its period.",
    ),
    _t("subscription.paused", "subscription", "A subscription was paused.", status="paused"),
    _t("subscription.resumed", "subscription", "A paused subscription was resumed."),
    _t(
        "subscription.renewed",
        "subscription",
        "The billing run charged a subscription's period and it was paid (every period "
        "not paid at checkout, a successful retry too); the last period of a term also "
        "fires subscription.completed.",
        periods_billed=2,
        next_billing_date="2026-09-01",
    ),
    _t(
        "subscription.payment_failed",
        "subscription",
        "The charge for a subscription's period failed (dunning starts or goes on).",
        status="past_due",
    ),
    _t(
        "subscription.past_due",
        "subscription",
        "A subscription became past due after a failed charge.",
        status="past_due",
    ),
    _t(
        "subscription.cancelled",
        "subscription",
        "A subscription ended cancelled: now, at the end of its period (as the billing run "
        "reaches it), or after the last failed retry.",
        status="cancelled",
        next_billing_date=None,
        cancelled_at="2026-07-20T09:30:00+00:00",
        ended_at="2026-07-20T09:30:00+00:00",
    ),
    _t(
        "subscription.completed",
        "subscription",
        "A subscription billed its last period of a fixed term.",
        status="completed",
        periods_billed=12,
        next_billing_date=None,
        ended_at="2027-06-01T06:00:00+00:00",
    ),
    _t(
        "contact.created",
        "contact",
        "A contact was added: by hand, from a quote or by a buyer's first checkout.",
    ),
    _t(
        "contact.updated",
        "contact",
        "A contact's details changed (by hand or by a returning buyer's checkout).",
    ),
    _t(
        "product.created",
        "product",
        "A product was added to the library (by hand or by a CSV import).",
    ),
    _t("product.updated", "product", "A product was changed (by hand or by a CSV import)."),
    _t("product.archived", "product", "A product was archived.", archived=True),
    _t(
        "stripe_account.status_changed",
        "stripe_account",
        "The portal's Stripe account changed status (e.g. to Ready to transact, or "
        "Disconnected); `previous_status` is `not_connected` for an account just created. "
        "The object's `id` is the Stripe account's id.",
    ),
    EventType(
        "webhook.test",
        "webhook_endpoint",
        "A super admin clicked *Send test event*: sent to that endpoint only.",
        internal=True,
    ),
)

BY_NAME: dict[str, EventType] = {t.name: t for t in EVENT_TYPES}
if len(BY_NAME) != len(EVENT_TYPES):  # pragma: no cover - a typo in the table above
    raise RuntimeError("an event type is listed twice")

TEST_EVENT = "webhook.test"


def subscribable() -> list[EventType]:
    """The types an endpoint can ask for."""
    return [t for t in EVENT_TYPES if not t.internal]


def is_known(name: str) -> bool:
    return name in BY_NAME


def markdown() -> str:
    """docs/events.md: the catalogue as a page."""
    out = [
        "# Event types",
        "",
        "Generated from `commerce/events/catalogue.py` "
        "(`python -m commerce.events.catalogue > docs/events.md`); a test keeps them equal.",
        "Every webhook body is `{id, type, created, portal, data: {object}}`; `created` and",
        "every time in an object are ISO 8601 in UTC; amounts are integer cents beside a",
        "`currency`.",
        "",
        "| Type | Object | When it fires |",
        "|---|---|---|",
    ]
    out += [f"| `{t.name}` | `{t.object_type}` | {t.fires} |" for t in EVENT_TYPES]
    out += ["", "## Sample objects", ""]
    for object_type, sample in SAMPLE_OBJECTS.items():
        out += [f"### `{object_type}`", "", "```json", json.dumps(sample, indent=2), "```", ""]
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover
    print(markdown())
