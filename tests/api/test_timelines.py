"""Every write through the API names its key on the object's timeline."""

import datetime as dt
import uuid

import pytest
import time_machine

from invoices.models import InvoiceEvent
from payments.models import Refund
from quotes.models import QuoteEvent
from subscriptions.models import SubscriptionEvent
from tests.factories import InvoiceFactory, QuoteFactory, SubscriptionFactory
from tests.payments.support import fakestripe_account, paid_payment

pytestmark = pytest.mark.django_db


def test_a_refund_through_the_api_names_the_key_on_the_payment_page(
    client, make_key, api_for, stripe_hub, portal, admin_client_
):
    key = make_key(name="Back office")
    paid = paid_payment(stripe_hub, fakestripe_account(stripe_hub, portal), amount=5_000)
    response = api_for(key.secret).post(f"/payments/{paid.pk}/refund", {"amount": 1_000})
    assert response.status_code == 200, response.content

    refund = Refund.objects.get(payment=paid)
    assert refund.created_by is None
    assert refund.via == f"API key “Back office” ({key.key.prefix}…)"
    page = admin_client_.get(f"/payments/{paid.pk}/").content.decode()
    assert "by API key “Back office”" in page


def test_a_refund_from_the_page_names_no_key(stripe_hub, portal, super_admin):
    from payments.ledger import refunds

    paid = paid_payment(stripe_hub, fakestripe_account(stripe_hub, portal), amount=5_000)
    refunds.payment_refund(
        payment=paid, amount=500, reason="", note="", user=super_admin, attempt=str(uuid.uuid4())
    )
    assert Refund.objects.get(payment=paid).via == ""


def test_publishing_a_quote_through_the_api_names_the_key_on_the_quote_page(
    make_key, api_for, portal, admin_client_
):
    key = make_key(name="CRM sync")
    quote = QuoteFactory(portal=portal)
    assert api_for(key.secret).post(f"/quotes/{quote.pk}/publish").status_code == 200

    entry = QuoteEvent.objects.get(quote=quote, kind=QuoteEvent.Kind.PUBLISHED)
    assert entry.actor is None and entry.via == f"API key “CRM sync” ({key.key.prefix}…)"
    page = admin_client_.get(f"/quotes/{quote.pk}/").content.decode()
    assert f"API key “CRM sync” ({key.key.prefix}…)" in page


def test_an_invoice_finalized_through_the_api_names_the_key_on_the_invoice_page(
    make_key, api_for, portal, admin_client_
):
    key = make_key(name="Back office")
    invoice = InvoiceFactory(portal=portal)
    assert api_for(key.secret).post(f"/invoices/{invoice.pk}/finalize").status_code == 200

    entry = InvoiceEvent.objects.get(invoice=invoice, kind=InvoiceEvent.Kind.FINALIZED)
    assert entry.actor is None and entry.via == f"API key “Back office” ({key.key.prefix}…)"
    page = admin_client_.get(f"/invoices/{invoice.pk}/").content.decode()
    assert f"API key “Back office” ({key.key.prefix}…)" in page


@pytest.mark.parametrize(
    ("status", "path", "body", "kind"),
    [
        ("active", "pause", None, "pause"),
        ("paused", "resume", {"next_billing_date": "2026-03-01"}, "resume"),
        ("active", "cancel", {"at_period_end": False}, "cancel_now"),
        ("past_due", "cancel", {"at_period_end": True}, "cancel_at_period_end"),
        ("active", "items", "quantity", "items_changed"),
    ],
)
def test_a_subscription_change_through_the_api_names_the_key_on_its_timeline(
    make_key, api_for, portal, status, path, body, kind
):
    key = make_key(name="CRM sync")
    with time_machine.travel(dt.datetime(2026, 2, 1, 12, tzinfo=dt.UTC), tick=False):
        sub = SubscriptionFactory(portal=portal, status=status, start_date=dt.date(2026, 1, 15))
        if body == "quantity":
            body = {"items": [{"id": str(sub.items.get().pk), "quantity": 3}]}
        response = api_for(key.secret).post(f"/subscriptions/{sub.pk}/{path}", body)
    assert response.status_code == 200, response.content
    entry = SubscriptionEvent.objects.get(subscription=sub)
    assert (entry.kind, entry.actor, entry.via) == (
        kind,
        None,
        f"API key “CRM sync” ({key.key.prefix}…)",
    )
