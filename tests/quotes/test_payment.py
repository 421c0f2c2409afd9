"""Paying an accepted quote through the hosted checkout, against fakestripe over HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from commerce.catalog.models import BillingFrequency
from payments import checkout as checkout_service
from payments.models import Checkout, Payment
from quotes import services
from quotes.models import QuoteStatus
from subscriptions.models import Subscription
from tests.payments.support import confirm, intents_on, text
from tests.support import line


def sign(client: Client, quote, name: str = "Bea Buyer"):
    return client.post(
        reverse("quotes:public_accept", args=[quote.public_token]),
        {"signed_name": name, "agree": "on"},
    )


def checkout_from(response) -> Checkout:
    assert response.status_code == 303, text(response)[:2000]
    public_id = response["Location"].split("/pay/checkout/")[1].strip("/")
    return Checkout.objects.get(public_id=public_id)


def return_to_hub(client: Client, checkout: Checkout):
    return client.get(
        reverse("public:document_checkout_return", args=[checkout.public_id])
        + f"?payment_intent={checkout.payment_intent_id}"
    )


@pytest.fixture
def subscription_quote(make_quote):
    """$500 setup less 10 % with 8.25 % tax, and $99/month for 12 months: $586.13 today."""
    return make_quote(
        publish=True,
        requires_payment=True,
        lines=[
            line(
                "Setup",
                unit_amount=50_000,
                discount_percent=Decimal("10"),
                tax_rate=Decimal("8.25"),
            ),
            line(
                "Support plan",
                unit_amount=9_900,
                billing_frequency=BillingFrequency.MONTHLY,
                term_periods=12,
            ),
        ],
    )


def test_buyer_signs_pays_and_the_quote_is_paid_with_a_subscription(
    stripe_hub,
    ready_account,
    portal,
    subscription_quote,
    sales_rep,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    quote = subscription_quote
    buyer = Client()
    # When the buyer signs, they go straight on to the card step for the total due today
    checkout = checkout_from(sign(buyer, quote))
    page = buyer.get(reverse("public:document_checkout", args=[checkout.public_id]))
    body = text(page)
    assert page.status_code == 200
    assert checkout.client_secret in body and ready_account.stripe_id in body
    assert f"Quote {quote.display_number}" in body and "$586.13" in body
    assert "Then $99.00 every month for 12 months" in body
    assert (checkout.source, checkout.document_id, checkout.email) == (
        "quote",
        quote.pk,
        "buyer@client.test",
    )

    # And pays by card
    intent = confirm(stripe_hub, checkout)
    assert intent["status"] == "succeeded"
    assert intent["amount"] == 58_613
    assert intent["setup_future_usage"] == "off_session"
    assert intent["metadata"]["quote"] == str(quote.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = return_to_hub(buyer, checkout)
    assert "/pay/receipt/" in response["Location"]
    receipt = text(buyer.get(response["Location"]))
    assert "Thank you, payment received" in receipt and "Back to the quote" in receipt

    # Then the quote is paid, with its payment, and the recurring line is a subscription
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.PAID
    payment = Payment.objects.get(portal=portal)
    assert quote.payment == payment
    assert (payment.amount, payment.source, payment.contact) == (58_613, "quote", quote.contact)
    assert payment.description == f"Quote {quote.display_number} · {quote.title}"
    subscription = Subscription.objects.get(portal=portal)
    assert (subscription.contact, subscription.amount, subscription.term_periods) == (
        quote.contact,
        9_900,
        12,
    )
    assert subscription.periods_billed == 1 and subscription.payment_method_id
    assert quote.events.all()[0].kind == "paid"  # newest first
    # The buyer's page says so, and the rep and the buyer got their e-mails
    assert "Thank you: this quote is accepted and paid." in text(
        buyer.get(reverse("quotes:public", args=[quote.public_token]))
    )
    subjects = [m.subject for m in mailoutbox]
    assert any(s.startswith("Your receipt from Acme Test Co.: $586.13") for s in subjects)
    paid_mail = [m for m in mailoutbox if sales_rep.email in m.to and "paid" in m.subject.lower()]
    assert paid_mail, subjects


def test_two_browsers_paying_one_quote_share_one_payment_intent(
    stripe_hub, ready_account, subscription_quote
):
    first, second = Client(), Client()
    checkout = checkout_from(sign(first, subscription_quote))
    again = checkout_from(
        second.post(reverse("quotes:public_pay", args=[subscription_quote.public_token]))
    )
    reload = checkout_from(
        first.post(reverse("quotes:public_pay", args=[subscription_quote.public_token]))
    )
    assert checkout.pk == again.pk == reload.pk
    assert len(intents_on(stripe_hub, ready_account.stripe_id)) == 1


def test_completion_from_return_and_webhook_marks_the_quote_paid_once(
    stripe_hub, ready_account, subscription_quote
):
    buyer = Client()
    checkout = checkout_from(sign(buyer, subscription_quote))
    confirm(stripe_hub, checkout)
    intent = checkout_service.fetch_intent(checkout)
    for _ in range(2):
        checkout_service.checkout_complete(checkout_id=checkout.pk, payment_intent=intent)
    return_to_hub(buyer, checkout)
    subscription_quote.refresh_from_db()
    assert subscription_quote.status == QuoteStatus.PAID
    assert Payment.objects.count() == 1 and Subscription.objects.count() == 1
    assert [e.kind for e in subscription_quote.events.all()].count("paid") == 1


def test_a_declined_card_keeps_the_quote_accepted_and_shows_the_message(
    stripe_hub, ready_account, subscription_quote
):
    buyer = Client()
    checkout = checkout_from(sign(buyer, subscription_quote))
    assert confirm(stripe_hub, checkout, "pm_card_chargeDeclined")["error"]
    response = return_to_hub(buyer, checkout)
    assert response["Location"].endswith("#payment")
    page = text(buyer.get(response["Location"].split("#")[0]))
    assert "Your card was declined." in page
    subscription_quote.refresh_from_db()
    assert subscription_quote.status == QuoteStatus.ACCEPTED
    assert not Payment.objects.exists() and not Subscription.objects.exists()


def test_a_quote_that_is_not_accepted_cannot_be_paid(stripe_hub, ready_account, make_quote):
    quote = make_quote(publish=True, requires_payment=True)
    response = Client().post(reverse("quotes:public_pay", args=[quote.public_token]))
    assert response.status_code == 400
    assert "Accept the quote first" in text(response)
    assert not Checkout.objects.exists()
    assert intents_on(stripe_hub, ready_account.stripe_id) == []


def test_a_quote_without_payment_on_acceptance_is_only_signed(
    stripe_hub, ready_account, make_quote
):
    quote = make_quote(publish=True, requires_payment=False)
    buyer = Client()
    response = sign(buyer, quote)
    assert response.status_code == 302
    assert response["Location"] == reverse("quotes:public", args=[quote.public_token])
    assert buyer.post(reverse("quotes:public_pay", args=[quote.public_token])).status_code == 400
    assert not Checkout.objects.exists()


def test_signing_when_the_portal_takes_no_payments_keeps_the_signature(
    stripe_hub, portal, make_quote
):
    quote = make_quote(publish=True, requires_payment=True)
    response = sign(Client(), quote)
    assert response.status_code == 503
    assert "not accepting payments" in text(response)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED and quote.accepted_name == "Bea Buyer"
    assert not Checkout.objects.exists()


def test_stripe_outage_on_pay_shows_a_message_and_the_buyer_can_retry(
    stripe_hub, ready_account, subscription_quote
):
    buyer = Client()
    stripe_hub.inject_failure("/v1/payment_intents", "server_error", count=10)
    response = sign(buyer, subscription_quote)
    assert response.status_code == 503
    assert "Pay $586.13" in text(response)
    stripe_hub.clear_failures()
    checkout = checkout_from(
        buyer.post(reverse("quotes:public_pay", args=[subscription_quote.public_token]))
    )
    assert checkout.client_secret


def test_an_unknown_checkout_id_is_a_404(db):
    import uuid

    url = reverse("public:document_checkout", args=[uuid.uuid4()])
    assert Client().get(url).status_code == 404


def test_rep_sees_the_payment_on_the_quote(
    stripe_hub, ready_account, subscription_quote, admin_client_
):
    buyer = Client()
    checkout = checkout_from(sign(buyer, subscription_quote))
    confirm(stripe_hub, checkout)
    return_to_hub(buyer, checkout)
    page = text(admin_client_.get(reverse("quotes:detail", args=[subscription_quote.pk])))
    assert "$586.13 paid" in page


def test_reverting_is_refused_once_accepted_so_a_checkout_never_pays_a_draft(
    stripe_hub, ready_account, subscription_quote
):
    checkout_from(sign(Client(), subscription_quote))
    subscription_quote.refresh_from_db()
    with pytest.raises(services.QuoteError):
        services.quote_revert(quote=subscription_quote, actor=None)
