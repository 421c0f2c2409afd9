"""Every URL that takes an object id answers 404 for another portal's object.

The test walks the URL configuration: a new URL with an id must be listed in
FOREIGN_OBJECTS (how to make the other portal's object) or in PUBLIC (why it is not
portal-scoped), or this test fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.factories import (
    ContactFactory,
    InvoiceFactory,
    MembershipFactory,
    PaymentFactory,
    ProductFactory,
    QuoteFactory,
    StripeAccountFactory,
    SubscriptionFactory,
)
from tests.payments.support import make_link

# URLs with ids that are not scoped to the signed-in portal, and why.
PUBLIC = {
    "password_reset_confirm": "token link for signed-out users",
    "settings:logo": "the portal's public logo, shown on buyer pages",
    "settings:invite_accept": "token link for invited people who have no session yet",
    "public:checkout": "buyer page, found by the link's unguessable slug",
    "public:checkout_return": "buyer page, found by the link's unguessable slug",
    "public:receipt": "buyer receipt, found by the checkout's unguessable id",
    "public:document_checkout": "card step of a quote or invoice, by the checkout's unguessable id",
    "public:document_checkout_return": "return from paying a quote or invoice, by the checkout's unguessable id",
}


def _event(portal):
    from payments.models import StripeEvent

    StripeAccountFactory(portal=portal, stripe_id=f"acct_foreign_{portal.pk}")
    return StripeEvent.objects.create(
        stripe_id=f"evt_foreign_{portal.pk}",
        type="account.updated",
        account=f"acct_foreign_{portal.pk}",
        portal=portal,
        created=timezone.now(),
        payload={},
    )


# url name -> builds an object in `portal` and returns the URL kwargs
FOREIGN_OBJECTS: dict[str, Callable] = {
    "settings:member_role": lambda portal: {"pk": MembershipFactory(portal=portal).pk},
    "settings:member_remove": lambda portal: {"pk": MembershipFactory(portal=portal).pk},
    "settings:member_resend": lambda portal: {"pk": MembershipFactory(portal=portal).pk},
    "catalog:detail": lambda portal: {"pk": ProductFactory(portal=portal).pk},
    "catalog:edit": lambda portal: {"pk": ProductFactory(portal=portal).pk},
    "catalog:archive": lambda portal: {"pk": ProductFactory(portal=portal).pk},
    "catalog:unarchive": lambda portal: {"pk": ProductFactory(portal=portal, archived=True).pk},
    "customers:detail": lambda portal: {"pk": ContactFactory(portal=portal).pk},
    "customers:edit": lambda portal: {"pk": ContactFactory(portal=portal).pk},
    "payments:event_retry": lambda portal: {"pk": _event(portal).pk},
    "payments:detail": lambda portal: {"pk": PaymentFactory(portal=portal).pk},
    "payments:refund": lambda portal: {"pk": PaymentFactory(portal=portal).pk},
    "payment_links:detail": lambda portal: {"pk": make_link(portal).pk},
    "payment_links:edit": lambda portal: {"pk": make_link(portal).pk},
    "payment_links:deactivate": lambda portal: {"pk": make_link(portal).pk},
    "payment_links:reactivate": lambda portal: {"pk": make_link(portal).pk},
}


# --- Quotes (the quotes issue) ---


def _quote_notice(portal):
    from quotes.models import QuoteNotice

    member = MembershipFactory(portal=portal)
    return QuoteNotice.objects.create(
        portal=portal, user=member.user, quote=QuoteFactory(portal=portal), text="x"
    )


PUBLIC.update(
    {
        "quotes:public": "the buyer's quote page: found by its unguessable token only",
        "quotes:public_pdf": "the buyer's quote PDF: found by its unguessable token only",
        "quotes:public_accept": "the buyer accepts: found by the quote's token only",
        "quotes:public_pay": "the buyer pays an accepted quote: found by the quote's token only",
        "quotes:public_decline": "the buyer declines: found by the quote's token only",
    }
)
FOREIGN_OBJECTS.update(
    {
        **{
            f"quotes:{name}": lambda portal: {"pk": QuoteFactory(portal=portal).pk}
            for name in ("detail", "edit", "publish", "revert", "clone", "send", "pdf")
        },
        "quotes:notice_dismiss": lambda portal: {"pk": _quote_notice(portal).pk},
    }
)


# --- Fee sync (the fee sync and reports issue) ---

FOREIGN_OBJECTS.update(
    {"payments:fee_repair_payment": lambda portal: {"pk": PaymentFactory(portal=portal).pk}}
)


# --- Subscriptions (the subscription billing issue) ---

PUBLIC.update(
    {
        "subscriptions:card_update": "the buyer's card page: a signed, expiring token only",
        "subscriptions:card_update_done": "the buyer's card page: a signed, expiring token only",
    }
)


FOREIGN_OBJECTS.update(
    {
        f"subscriptions:{name}": lambda portal: {"pk": SubscriptionFactory(portal=portal).pk}
        for name in ("detail", "change", "items")
    }
)


# --- Invoices (the invoices issue) ---

PUBLIC.update(
    {
        "invoices_public:invoice": "the buyer's invoice page: found by its unguessable token only",
        "invoices_public:pdf": "the buyer's invoice PDF: found by its unguessable token only",
        "invoices_public:pay": "the buyer's Pay button: found by the invoice's token only",
    }
)


def _invoice_payment(portal):
    from invoices.models import InvoicePayment

    invoice = InvoiceFactory(portal=portal)
    payment = InvoicePayment.objects.create(
        portal=portal, invoice=invoice, method="cash", amount=100, paid_on=invoice.issue_date
    )
    return {"pk": invoice.pk, "payment_pk": payment.pk}


FOREIGN_OBJECTS.update(
    {
        **{
            f"invoices:{name}": lambda portal: {"pk": InvoiceFactory(portal=portal).pk}
            for name in (
                "detail",
                "edit",
                "finalize",
                "send",
                "duplicate",
                "void",
                "uncollectible",
                "pdf",
                "payment_record",
            )
        },
        "invoices:payment_delete": _invoice_payment,
        "invoices:from_quote": lambda portal: {"quote_pk": QuoteFactory(portal=portal).pk},
    }
)


# --- The REST API (issue 17) ---


def _api_key(portal):
    from api.services import key_create

    return {"pk": key_create(portal=portal, name="Foreign", scopes=["products:read"]).key.pk}


FOREIGN_OBJECTS.update({"api_keys:detail": _api_key, "api_keys:revoke": _api_key})
_API = "REST API: acts for the bearer key's portal, another portal's id is a 404 (tests/api/)"
PUBLIC.update(
    {
        f"api-v1:{name}": _API
        for name in (
            "product_retrieve",
            "product_update",
            "product_archive",
            "product_unarchive",
            "contact_retrieve",
            "contact_update",
            "payment_link_retrieve",
            "payment_link_update",
            "payment_link_deactivate",
            "payment_link_reactivate",
            "payment_retrieve",
            "payment_refund",
            "event_retrieve",
            "endpoint_retrieve",
            "endpoint_update",
            "endpoint_roll_secret",
            "endpoint_delete",
            "quote_retrieve",
            "quote_update",
            "quote_publish",
            "quote_pdf",
            "invoice_retrieve",
            "invoice_update",
            "invoice_finalize",
            "invoice_send",
            "invoice_void",
            "invoice_mark_uncollectible",
            "invoice_record_payment",
            "invoice_pdf",
            "subscription_retrieve",
            "subscription_pause",
            "subscription_resume",
            "subscription_cancel",
            "subscription_items_change",
        )
    }
)


# --- Payouts (issue 18) ---


def _payout(portal):
    from payments.payouts.models import Payout
    from tests.factories import StripeAccountFactory

    account = StripeAccountFactory(portal=portal, stripe_id=f"acct_foreign_{portal.pk}")
    payout = Payout.objects.create(
        portal=portal,
        account=account,
        stripe_id=f"po_foreign_{portal.pk}",
        amount=1_000,
        status="paid",
        arrival_date="2026-03-02",
        stripe_created="2026-03-01T00:00:00Z",
    )
    return {"pk": payout.pk}


FOREIGN_OBJECTS.update({"payments:payout_detail": _payout})


def _walk(resolver: URLResolver, namespace: str | None = None) -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            yield from _walk(entry, f"{namespace}:{ns}" if namespace and ns else (ns or namespace))
        elif entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


def id_urls() -> list[str]:
    names = []
    for name, pattern in _walk(get_resolver()):
        if name.startswith("admin:"):
            continue  # the Django admin is for the hub's operators, across portals
        if pattern.pattern.regex.groupindex:
            names.append(name)
    return sorted(set(names))


def test_every_url_with_an_id_is_covered():
    uncovered = [n for n in id_urls() if n not in FOREIGN_OBJECTS and n not in PUBLIC]
    assert uncovered == [], f"add these URLs to FOREIGN_OBJECTS or PUBLIC: {uncovered}"


@pytest.mark.parametrize("url_name", sorted(FOREIGN_OBJECTS))
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_portals_object_is_404(admin_client_, other_portal, url_name, method):
    kwargs = FOREIGN_OBJECTS[url_name](other_portal)
    response = getattr(admin_client_, method)(reverse(url_name, kwargs=kwargs))
    # 405 only where the URL does not accept the method at all: never 200/302/403
    assert response.status_code in (404, 405), (
        f"{method.upper()} {url_name}: {response.status_code}"
    )
    if response.status_code == 405:
        other = "post" if method == "get" else "get"
        assert getattr(admin_client_, other)(reverse(url_name, kwargs=kwargs)).status_code == 404


# --- Outbound webhooks (the events issue) ---


def _webhook_endpoint(portal):
    from commerce.events.models import WebhookEndpoint

    return WebhookEndpoint.objects.create(
        portal=portal, url="https://hooks.example.com/in", secret="whsec_Zm9yZWlnbg=="
    )


def _webhook_delivery(portal):
    from commerce.events.models import Delivery, Event

    endpoint = _webhook_endpoint(portal)
    event = Event.objects.create(portal=portal, type="webhook.test", object_type="test")
    delivery = Delivery.objects.create(portal=portal, event=event, endpoint=endpoint)
    return {"pk": endpoint.pk, "delivery_pk": delivery.pk}


FOREIGN_OBJECTS.update(
    {
        **{
            f"webhooks:{name}": lambda portal: {"pk": _webhook_endpoint(portal).pk}
            for name in ("detail", "edit", "roll_secret", "toggle", "delete", "test", "replay")
        },
        "webhooks:delivery": _webhook_delivery,
        "webhooks:delivery_resend": _webhook_delivery,
    }
)
