"""A payment link's page for a buyer with a session: rendered per buyer from the parts
of the page cached per version of the link (payments/checkout/views.py)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from payments.links.services import LineSpec, payment_link_update
from tests.factories import ProductFactory
from tests.payments.support import buyer_details, make_link, start_checkout, text


@pytest.fixture
def buyer():
    return Client()


@pytest.mark.parametrize("line_count", [1, 20])
def test_card_step_runs_two_queries_whatever_the_lines(
    stripe_hub, ready_account, portal, buyer, django_assert_num_queries, line_count
):
    # Given a buyer whose checkout has its PaymentIntent, on a page already seen once
    products = [ProductFactory(portal=portal, unit_price=1000) for _ in range(line_count)]
    link = make_link(portal, lines=[LineSpec(product_id=p.pk, quantity=1) for p in products])
    start_checkout(buyer, link)
    assert buyer.get(f"/pay/{link.slug}/").status_code == 200

    # When they load it again, Then: their session; the link's version with their checkout
    with django_assert_num_queries(2):
        response = buyer.get(f"/pay/{link.slug}/")
    assert response.status_code == 200
    assert 'id="payment-form"' in text(response)
    with django_assert_num_queries(2):  # the same for their details form
        response = buyer.get(f"/pay/{link.slug}/?edit=1")
    assert 'id="details-form"' in text(response)


def test_details_form_of_a_session_without_a_checkout_runs_two_queries(
    stripe_hub, ready_account, portal, django_assert_num_queries
):
    link = make_link(portal)
    returning = Client(HTTP_COOKIE="sessionid=no-such-session")
    assert returning.get(f"/pay/{link.slug}/").status_code == 200

    # Their session (none found); the link's version with their checkout (none either)
    with django_assert_num_queries(2):
        page = text(returning.get(f"/pay/{link.slug}/"))
    assert 'name="csrfmiddlewaretoken"' in page and 'name="email"' in page


def test_card_step_shows_the_order_the_buyer_froze_not_the_sellers(
    stripe_hub, ready_account, portal, buyer
):
    # Given a link whose quantities the buyer may change, seen once with the seller's
    link = make_link(portal, allow_quantity_change=True, min_quantity=1, max_quantity=5)
    setup, plan = link.lines.all()
    assert "$250.00" in text(Client().get(f"/pay/{link.slug}/"))

    # When the buyer takes three setups
    start_checkout(buyer, link, **{f"qty_{setup.pk}": "3", f"qty_{plan.pk}": "1"})

    # Then their card step charges and shows the order they froze
    page = text(buyer.get(f"/pay/{link.slug}/"))
    assert "Pay $650.00" in page and "Qty 3 \u00d7 $200.00" in page


def test_edit_details_is_prefilled_and_keeps_the_csrf_token(
    stripe_hub, ready_account, portal, buyer
):
    link = make_link(portal, collect_phone=True, collect_billing_address=True)
    address = {
        "billing_line1": "1 Main St",
        "billing_city": "Springfield",
        "billing_postal_code": "12345",
        "billing_country": "CA",
    }
    start_checkout(buyer, link, phone="+1 555 0100", **address)
    buyer.get(f"/pay/{link.slug}/?edit=1")  # the parts are now cached

    page = text(buyer.get(f"/pay/{link.slug}/?edit=1"))

    assert (
        '<input type="email" name="email" value="ada@example.org" autocomplete="email"'
        ' maxlength="320" required id="id_email">'
    ) in page
    assert 'name="phone" value="+1 555 0100"' in page
    assert 'name="billing_line1" value="1 Main St"' in page
    assert '<option value="CA" selected>Canada</option>' in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None and token.group(1) != "csrf0placeholder0token"


def test_a_changed_link_is_shown_to_a_buyer_with_a_session_at_once(
    stripe_hub, ready_account, portal, buyer
):
    link = make_link(portal)
    start_checkout(buyer, link)
    assert "Spring offer" in text(buyer.get(f"/pay/{link.slug}/?edit=1"))

    product = ProductFactory(portal=portal, name="Summer kit", unit_price=700)
    payment_link_update(
        link=link, lines=[LineSpec(product_id=product.pk, quantity=1)], name="Summer offer"
    )

    page = text(buyer.get(f"/pay/{link.slug}/?edit=1"))
    assert "Summer offer" in page and "Summer kit" in page and "Spring offer" not in page


def test_a_posted_form_with_errors_keeps_the_buyers_values(stripe_hub, ready_account, portal):
    link = make_link(portal, allow_quantity_change=True, min_quantity=1, max_quantity=5)
    setup = link.lines.first()

    response = Client().post(
        f"/pay/{link.slug}/", buyer_details(email="not-an-email", **{f"qty_{setup.pk}": "9"})
    )

    page = text(response)
    assert response.status_code == 400
    assert 'name="email" value="not-an-email"' in page and "Enter a valid email address." in page
    assert f'name="qty_{setup.pk}" value="9"' in page and "between 1 and 5" in page
    assert 'aria-invalid="true"' in page
