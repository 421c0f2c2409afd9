"""The hosted checkout of payment links, against fakestripe over HTTP."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from commerce.customers.models import Contact
from payments import checkout as checkout_service
from payments.models import Checkout, Payment
from subscriptions.models import Subscription
from tests.payments.support import (
    buyer_details,
    confirm,
    intents_on,
    make_link,
    return_to_hub,
    start_checkout,
    text,
)


@pytest.fixture
def buyer():
    return Client()


def test_buyer_pays_and_the_hub_records_everything(
    stripe_hub,
    ready_account,
    portal,
    sales_rep,
    buyer,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    # Given a link with a $200 setup and a $50/month plan for 12 months
    link = make_link(portal, sales_rep)
    page = buyer.get(f"/pay/{link.slug}/")
    assert page.status_code == 200
    body = text(page)
    assert "$250.00" in body and "Then $50.00 every month for 12 months" in body

    # When the buyer continues and pays by card
    checkout = start_checkout(buyer, link)
    pay_page = text(buyer.get(f"/pay/{link.slug}/"))
    assert checkout.client_secret in pay_page and ready_account.stripe_id in pay_page
    assert stripe_hub.js_url in pay_page
    intent = confirm(stripe_hub, checkout)
    assert intent["status"] == "succeeded"
    with django_capture_on_commit_callbacks(execute=True):
        response = return_to_hub(buyer, link, checkout)

    # Then the receipt shows, and the intent was made as the server computed it
    assert response.status_code == 302
    receipt = buyer.get(response["Location"])
    assert "Thank you, payment received" in text(receipt)
    assert intent["amount"] == 25000
    assert intent["setup_future_usage"] == "off_session"
    assert intent["application_fee_amount"] is None
    assert intent["customer"]

    payment = Payment.objects.get(portal=portal)
    assert (payment.amount, payment.currency, payment.status) == (25000, "usd", "succeeded")
    assert (payment.card_brand, payment.card_last4) == ("visa", "4242")
    assert payment.payment_intent_id == checkout.payment_intent_id
    assert payment.charge_id.startswith("ch_")
    assert payment.stripe_account_id == ready_account.stripe_id
    assert payment.source == Payment.Source.PAYMENT_LINK

    contact = Contact.objects.get(portal=portal)
    assert (contact.email, contact.first_name, contact.last_name) == (
        "ada@example.org",
        "Ada",
        "Lovelace",
    )
    assert contact.stripe_customer_id == intent["customer"]
    assert payment.contact == contact

    subscription = Subscription.objects.get(portal=portal)
    assert subscription.contact == contact
    assert (subscription.billing_frequency, subscription.term_periods) == ("monthly", 12)
    assert (subscription.amount, subscription.periods_billed, subscription.status) == (
        5000,
        1,
        "active",
    )
    assert subscription.payment_method_id == intent["payment_method"]
    assert subscription.next_billing_date > subscription.start_date
    assert [i.name for i in subscription.items.all()] == ["Growth plan"]

    checkout.refresh_from_db()
    assert checkout.status == "succeeded" and checkout.contact == contact
    from payments.links.services import link_detail

    assert link_detail(portal=portal, pk=link.pk).uses == 1
    subjects = sorted(m.subject for m in mailoutbox)
    assert any(s.startswith("Your receipt from Acme Test Co.: $250.00") for s in subjects)
    assert any(s.startswith("New payment: $250.00") for s in subjects)
    receipt_mail = next(m for m in mailoutbox if m.subject.startswith("Your receipt"))
    assert receipt_mail.to == ["ada@example.org"]


def test_lines_sharing_frequency_and_term_make_one_subscription(
    stripe_hub, ready_account, portal, buyer
):
    from commerce.catalog.models import BillingFrequency
    from payments.links.services import LineSpec
    from tests.factories import ProductFactory

    monthly = [
        ProductFactory(
            portal=portal,
            unit_price=1000,
            billing_frequency=BillingFrequency.MONTHLY,
            term_periods=6,
        )
        for _ in range(2)
    ]
    yearly = ProductFactory(
        portal=portal, unit_price=9900, billing_frequency=BillingFrequency.YEARLY
    )
    link = make_link(
        portal, lines=[LineSpec(product_id=p.pk, quantity=1) for p in [*monthly, yearly]]
    )
    checkout = start_checkout(buyer, link)
    confirm(stripe_hub, checkout)
    return_to_hub(buyer, link, checkout)
    subs = Subscription.objects.filter(portal=portal).order_by("amount")
    assert [(s.billing_frequency, s.term_periods, s.amount, s.items.count()) for s in subs] == [
        ("monthly", 6, 2000, 2),
        ("yearly", None, 9900, 1),
    ]


def test_decline_shows_stripes_message_and_records_nothing(
    stripe_hub, ready_account, portal, buyer
):
    link = make_link(portal)
    checkout = start_checkout(buyer, link)
    result = confirm(stripe_hub, checkout, "pm_card_chargeDeclined")
    assert result["error"] == "Your card was declined."
    response = return_to_hub(buyer, link, checkout)
    assert response.status_code == 302 and response["Location"].endswith("#payment")
    page = text(buyer.get(f"/pay/{link.slug}/"))
    assert "Your card was declined." in page
    assert not Payment.objects.exists() and not Subscription.objects.exists()
    checkout.refresh_from_db()
    assert checkout.status == "open" and checkout.failure_code == "generic_decline"
    # The buyer tries another card on the same intent and pays.
    confirm(stripe_hub, checkout, "pm_card_visa")
    return_to_hub(buyer, link, checkout)
    assert Payment.objects.get().payment_intent_id == checkout.payment_intent_id


@pytest.mark.parametrize("outcome", ["complete", "fail"])
def test_3ds_challenge_completes_or_fails_cleanly(
    stripe_hub, ready_account, portal, buyer, outcome
):
    link = make_link(portal)
    checkout = start_checkout(buyer, link)
    intent = confirm(stripe_hub, checkout, "pm_card_authenticationRequiredOnSetup")
    assert intent["status"] == "requires_action"
    # Before the challenge is answered, returning records nothing.
    return_to_hub(buyer, link, checkout)
    assert not Payment.objects.exists()
    stripe_hub.authenticate(checkout.payment_intent_id, outcome)
    response = return_to_hub(buyer, link, checkout)
    if outcome == "complete":
        assert "/pay/receipt/" in response["Location"]
        assert Payment.objects.get().status == "succeeded"
    else:
        assert response["Location"].endswith("#payment")
        assert not Payment.objects.exists()
        page = text(buyer.get(f"/pay/{link.slug}/"))
        assert "Your bank could not confirm it was you, so nothing was charged." in page
        assert "failed authentication" not in page and "PaymentMethod" not in page


@pytest.mark.parametrize("webhook_first", [True, False])
def test_return_and_webhook_in_either_order_record_one_payment(
    hub_webhooks, stripe_hub, ready_account, portal, transactional_db, webhook_first
):
    buyer = Client()
    link = make_link(portal)
    checkout = start_checkout(buyer, link)
    confirm(stripe_hub, checkout)
    if webhook_first:
        stripe_hub.flush_webhooks()
        checkout.refresh_from_db()
        assert checkout.status == "succeeded"
        return_to_hub(buyer, link, checkout)
    else:
        return_to_hub(buyer, link, checkout)
        stripe_hub.flush_webhooks()
    # Twice more, for good measure: a duplicate delivery and a reload.
    checkout_service.checkout_complete(
        checkout_id=checkout.pk, payment_intent=checkout_service.fetch_intent(checkout)
    )
    return_to_hub(buyer, link, checkout)
    assert Payment.objects.count() == 1
    assert Subscription.objects.count() == 1
    assert Contact.objects.count() == 1
    assert Checkout.objects.get(pk=checkout.pk).status == "succeeded"


def test_payment_failed_webhook_records_the_message_and_nothing_paid(
    hub_webhooks, stripe_hub, ready_account, portal, transactional_db
):
    buyer = Client()
    link = make_link(portal)
    checkout = start_checkout(buyer, link)
    confirm(stripe_hub, checkout, "pm_card_chargeDeclinedInsufficientFunds")
    stripe_hub.flush_webhooks()
    checkout.refresh_from_db()
    assert checkout.failure_message == (
        "Your card has insufficient funds. Please use another card, or contact your bank."
    )
    assert checkout.status == "open"
    assert not Payment.objects.exists()


def test_double_click_reload_and_second_tab_reuse_one_intent(
    stripe_hub, ready_account, portal, buyer
):
    link = make_link(portal)
    first = start_checkout(buyer, link)
    second = start_checkout(buyer, link)  # double-click / second tab: same session
    buyer.get(f"/pay/{link.slug}/")  # reload
    assert first.pk == second.pk
    assert Checkout.objects.count() == 1
    assert len(intents_on(stripe_hub, ready_account.stripe_id)) == 1


def test_changing_quantities_updates_the_same_intent(stripe_hub, ready_account, portal, buyer):
    link = make_link(portal, allow_quantity_change=True, min_quantity=1, max_quantity=5)
    lines = list(link.lines.all())
    checkout = start_checkout(buyer, link)
    assert checkout.amount == 25000
    checkout = start_checkout(buyer, link, **{f"qty_{lines[1].pk}": "3"})
    assert checkout.amount == 20000 + 3 * 5000
    assert checkout.order_version == 2
    intents = intents_on(stripe_hub, ready_account.stripe_id)
    assert [pi["amount"] for pi in intents] == [35000]
    confirm(stripe_hub, checkout)
    return_to_hub(buyer, link, checkout)
    assert Payment.objects.get().amount == 35000
    assert Subscription.objects.get().items.get().quantity == 3


def test_platform_fee_is_applied_when_the_portal_has_one(stripe_hub, ready_account, portal, buyer):
    portal.application_fee_percent = Decimal("1.5")
    portal.application_fee_fixed = 30
    portal.save()
    link = make_link(portal)
    checkout = start_checkout(buyer, link)
    intent = intents_on(stripe_hub, ready_account.stripe_id)[0]
    assert intent["application_fee_amount"] == 375 + 30 == checkout.application_fee_amount
    confirm(stripe_hub, checkout)
    return_to_hub(buyer, link, checkout)
    assert Payment.objects.get().application_fee_amount == 405


def test_no_recurring_items_means_no_saved_card(stripe_hub, ready_account, portal, buyer):
    from payments.links.services import LineSpec
    from tests.factories import ProductFactory

    link = make_link(
        portal, lines=[LineSpec(product_id=ProductFactory(portal=portal).pk, quantity=2)]
    )
    start_checkout(buyer, link)
    intent = intents_on(stripe_hub, ready_account.stripe_id)[0]
    assert intent["setup_future_usage"] is None and intent["amount"] == 20000


def test_an_intent_whose_amount_was_changed_is_never_recorded(
    stripe_hub, ready_account, portal, buyer
):
    link = make_link(portal)
    checkout = start_checkout(buyer, link)
    stripe_hub.client(stripe_account=checkout.stripe_account_id).v1.payment_intents.update(
        checkout.payment_intent_id, {"amount": 100}
    )
    confirm(stripe_hub, checkout)
    response = return_to_hub(buyer, link, checkout)
    assert response.status_code == 409
    assert "could not confirm this payment" in text(response)
    assert not Payment.objects.exists()


# --- Bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"active": False}, 410, "no longer active"),
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, 410, "has expired"),
    ],
)
def test_inactive_or_expired_link_shows_a_clear_page_and_takes_no_money(
    stripe_hub, ready_account, portal, buyer, change, status, message
):
    link = make_link(portal)
    for name, value in change.items():
        setattr(link, name, value)
    link.save()
    assert buyer.get(f"/pay/{link.slug}/").status_code == status
    response = buyer.post(f"/pay/{link.slug}/", buyer_details())
    assert response.status_code == status and message in text(response)
    assert not Checkout.objects.exists()
    assert intents_on(stripe_hub, ready_account.stripe_id) == []


def test_used_up_link_refuses_the_next_buyer(stripe_hub, ready_account, portal, buyer):
    link = make_link(portal, max_payments=1)
    checkout = start_checkout(buyer, link)
    confirm(stripe_hub, checkout)
    return_to_hub(buyer, link, checkout)
    other = Client()
    response = other.get(f"/pay/{link.slug}/")
    assert response.status_code == 410 and "already been used" in text(response)
    assert other.post(f"/pay/{link.slug}/", buyer_details()).status_code == 410
    assert len(intents_on(stripe_hub, ready_account.stripe_id)) == 1


def test_second_buyer_of_a_single_use_link_is_refused_while_the_first_pays(
    stripe_hub, ready_account, portal
):
    link = make_link(portal, single_use=True)
    first, second = Client(), Client()
    start_checkout(first, link)
    response = second.post(f"/pay/{link.slug}/", buyer_details(email="bob@example.org"))
    assert response.status_code == 409 and "already been used" in text(response)
    assert len(intents_on(stripe_hub, ready_account.stripe_id)) == 1


def test_an_expired_reservation_is_released_and_its_intent_cancelled(
    stripe_hub, ready_account, portal
):
    link = make_link(portal, single_use=True)
    first = start_checkout(Client(), link)
    Checkout.objects.filter(pk=first.pk).update(
        reserved_until=timezone.now() - timedelta(seconds=1)
    )
    second = start_checkout(Client(), link)
    first.refresh_from_db()
    assert first.status == "expired" and second.pk != first.pk
    by_id = {pi["id"]: pi for pi in intents_on(stripe_hub, ready_account.stripe_id)}
    assert by_id[first.payment_intent_id]["status"] == "canceled"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"qty_LINE": "0"}, "between 1 and 5"),
        ({"qty_LINE": "6"}, "between 1 and 5"),
        ({"amount": "100"}, "Prices are set by the seller"),
        ({"unit_amount_LINE": "1"}, "Prices are set by the seller"),
        ({"qty_999999": "1"}, "isn't part of this payment link"),
        ({"email": ""}, "This field is required"),
        ({"billing_line1": ""}, "This field is required"),
    ],
)
def test_bad_input_is_refused_with_a_message(
    stripe_hub, ready_account, portal, buyer, data, message
):
    link = make_link(
        portal,
        allow_quantity_change=True,
        min_quantity=1,
        max_quantity=5,
        collect_billing_address=True,
    )
    line = link.lines.first()
    form = buyer_details(
        billing_line1="1 Main St",
        billing_city="Springfield",
        billing_postal_code="12345",
        billing_country="US",
        **{f"qty_{p.pk}": "1" for p in link.lines.all()},
    )
    form.update({k.replace("LINE", str(line.pk)): v for k, v in data.items()})
    response = buyer.post(f"/pay/{link.slug}/", form)
    assert response.status_code == 400
    assert message in text(response)
    assert not Checkout.objects.exists()


def test_fixed_quantities_cannot_be_changed(stripe_hub, ready_account, portal, buyer):
    link = make_link(portal)
    line = link.lines.first()
    response = buyer.post(f"/pay/{link.slug}/", buyer_details(**{f"qty_{line.pk}": "9"}))
    assert response.status_code == 400 and "can't be changed" in text(response)


def test_portal_not_ready_shows_a_polite_page(stripe_hub, portal, buyer):
    link = make_link(portal)
    response = buyer.get(f"/pay/{link.slug}/")
    assert response.status_code == 200
    assert "not accepting payments right now" in text(response)
    assert buyer.post(f"/pay/{link.slug}/", buyer_details()).status_code == 200
    assert not Checkout.objects.exists()


def test_unknown_slug_is_a_friendly_404(db, buyer):
    response = buyer.get("/pay/not-a-real-link/")
    assert response.status_code == 404 and "can't find this payment link" in text(response)


def test_stripe_outage_shows_a_message_not_a_traceback(stripe_hub, ready_account, portal, buyer):
    link = make_link(portal)
    stripe_hub.inject_failure("/v1/payment_intents", "server_error", count=10)
    response = buyer.post(f"/pay/{link.slug}/", buyer_details())
    assert response.status_code == 400
    assert "not answering right now" in text(response)


# --- Performance ------------------------------------------------------------------------


@pytest.mark.parametrize("line_count", [1, 20])
def test_checkout_page_runs_a_constant_number_of_queries(
    stripe_hub, ready_account, portal, buyer, django_assert_max_num_queries, line_count
):
    from payments.links.services import LineSpec
    from tests.factories import ProductFactory

    products = [ProductFactory(portal=portal, unit_price=1000) for _ in range(line_count)]
    link = make_link(
        portal, lines=[LineSpec(product_id=p.pk, quantity=1) for p in products], single_use=True
    )
    with django_assert_max_num_queries(8):
        assert buyer.get(f"/pay/{link.slug}/").status_code == 200
    start_checkout(buyer, link)  # now with a session and an open checkout
    with django_assert_max_num_queries(8):
        assert buyer.get(f"/pay/{link.slug}/").status_code == 200


def test_cached_page_never_outlives_a_deactivation_or_a_lost_stripe_account(
    stripe_hub, ready_account, portal, sales_rep, django_assert_max_num_queries
):
    from payments.links.services import payment_link_set_active

    link = make_link(portal, sales_rep)
    assert Client().get(f"/pay/{link.slug}/").status_code == 200
    with django_assert_max_num_queries(1):  # served from the page cache
        response = Client().get(f"/pay/{link.slug}/")
    assert "Spring offer" in text(response) and 'name="csrfmiddlewaretoken"' in text(response)
    payment_link_set_active(link=link, active=False)
    assert Client().get(f"/pay/{link.slug}/").status_code == 410
    payment_link_set_active(link=link, active=True)
    ready_account.status = "restricted"
    ready_account.save()
    assert "not accepting payments" in text(Client().get(f"/pay/{link.slug}/"))


@pytest.mark.parametrize("limit", [{"single_use": True}, {"max_payments": 2}])
def test_limited_links_page_is_cached_only_while_a_use_is_free(
    stripe_hub, ready_account, portal, django_assert_max_num_queries, limit
):
    link = make_link(portal, **limit)
    uses = link.payment_limit
    assert Client().get(f"/pay/{link.slug}/").status_code == 200
    with django_assert_max_num_queries(1):  # served from the page cache
        assert Client().get(f"/pay/{link.slug}/").status_code == 200
    holders = [start_checkout(Client(), link) for _ in range(uses)]
    # Every use is held by a buyer paying now: a new buyer is told, and not from a copy.
    response = Client().get(f"/pay/{link.slug}/")
    assert response.status_code == 409 and "paying with this link right now" in text(response)
    Checkout.objects.filter(pk=holders[0].pk).update(reserved_until=timezone.now())
    with django_assert_max_num_queries(1):  # a hold ran out: the use is free again
        assert Client().get(f"/pay/{link.slug}/").status_code == 200
    Checkout.objects.filter(pk__in=[h.pk for h in holders]).update(status="succeeded")
    response = Client().get(f"/pay/{link.slug}/")
    assert response.status_code == 410 and "already been used" in text(response)


def test_page_served_from_cache_still_accepts_the_buyers_post(stripe_hub, ready_account, portal):
    link = make_link(portal)
    buyer = Client(enforce_csrf_checks=True)
    buyer.get(f"/pay/{link.slug}/")
    page = text(buyer.get(f"/pay/{link.slug}/"))
    import re

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = buyer.post(f"/pay/{link.slug}/", buyer_details(csrfmiddlewaretoken=token))
    assert response.status_code == 303


@st.composite
def link_lines(draw):
    """Up to four lines: price, quantity and a percent or amount discount each."""
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        unit = draw(st.integers(50, 500_000))
        quantity = draw(st.integers(1, 20))
        kind = draw(st.sampled_from(["none", "percent", "amount"]))
        percent = Decimal(draw(st.integers(0, 10_000))) / 100 if kind == "percent" else None
        amount = draw(st.integers(0, unit * quantity)) if kind == "amount" else None
        lines.append((unit, quantity, percent, amount))
    return lines


@hyp_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=link_lines(), buyer_quantity=st.integers(1, 20))
def test_property_the_intent_charges_exactly_the_frozen_orders_total(
    stripe_hub, ready_account, portal, lines, buyer_quantity
):
    """Whatever the prices, quantities and discounts, the PaymentIntent the checkout
    creates at Stripe is for the frozen order's total, which is the sum of its lines
    (quantity x price - discount), never negative."""
    from commerce.catalog.models import Product
    from payments.links.services import LineSpec

    def total(first_quantity: int) -> int:
        """The order's total by hand: quantity x price less the line's discount."""
        amount_due = 0
        for index, (unit, quantity, percent, amount) in enumerate(lines):
            subtotal = unit * (first_quantity if index == 0 else quantity)
            if percent is not None:
                # Half a cent rounds away from zero (commerce.money).
                discount = int(
                    (Decimal(subtotal) * percent / 100).quantize(Decimal(1), "ROUND_HALF_UP")
                )
            else:
                discount = min(amount or 0, subtotal)
            amount_due += subtotal - discount
        return amount_due

    # The seller's own link must be payable (its editor refuses one that is not).
    assume(50 <= total(lines[0][1]) <= 99_999_999)
    specs = []
    for unit, quantity, percent, amount in lines:
        product = Product.objects.create(portal=portal, name=f"P{unit}", unit_price=unit)
        specs.append(
            LineSpec(
                product_id=product.pk,
                quantity=quantity,
                discount_percent=percent,
                discount_amount=amount,
            )
        )
    link = make_link(
        portal, lines=specs, allow_quantity_change=True, min_quantity=1, max_quantity=20
    )
    ref = str(link.lines.first().pk)
    expected = total(buyer_quantity)
    try:
        checkout = checkout_service.checkout_start(
            link=link,
            session_key=f"s-{link.pk}",
            buyer=checkout_service.Buyer(email="p@example.org", name="Pat"),
            quantities={int(ref): buyer_quantity},
        )
    except checkout_service.CheckoutError:
        # Below Stripe's minimum or above its maximum: refused before any intent exists.
        assert expected < 50 or expected > 99_999_999
        assert not Checkout.objects.filter(payment_link=link).exclude(payment_intent_id=None)
        return
    intent = stripe_hub.client(stripe_account=ready_account.stripe_id).v1.payment_intents.retrieve(
        checkout.payment_intent_id
    )
    assert intent.amount == checkout.amount == checkout.order["total"] == expected
    assert expected >= 0
