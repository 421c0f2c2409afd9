"""Payment link pages: list, create with the line editor, edit, deactivate, permissions."""

from __future__ import annotations

import pytest

from commerce.catalog.models import BillingFrequency
from payments.links.services import link_detail
from payments.models import PaymentLink
from tests.factories import ProductFactory
from tests.payments.support import make_link, text


def editor_post(lines, **fields):
    data = {
        "name": "Launch bundle",
        "min_quantity": "1",
        "max_quantity": "10",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
    }
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{i}-{key}"] = value
    data.update(fields)
    return data


def test_sales_rep_creates_a_link_mixing_one_time_and_recurring_lines(portal, rep_client):
    setup = ProductFactory(portal=portal, name="Setup", unit_price=20000)
    plan = ProductFactory(
        portal=portal,
        name="Plan",
        unit_price=6000,
        billing_frequency=BillingFrequency.MONTHLY,
        term_periods=12,
    )
    data = editor_post(
        [
            {
                "product": setup.pk,
                "quantity": "1",
                "discount_type": "percent",
                "discount_value": "10",
            },
            {"product": plan.pk, "quantity": "1", "unit_amount": "50.00"},
        ],
        single_use="on",
        collect_phone="on",
    )
    response = rep_client.post("/payment-links/new/", data)
    assert response.status_code == 302, text(response)[-3000:]
    link = PaymentLink.objects.get(portal=portal)
    assert len(link.slug) >= 32  # 24 random bytes: 192 bits
    lines = list(link.lines.all())
    assert [(ln.name, ln.unit_amount, ln.discount_percent) for ln in lines] == [
        ("Setup", 20000, 10),
        ("Plan", 5000, None),
    ]
    assert link.single_use and link.collect_phone
    page = text(rep_client.get(response["Location"]))
    assert "then $50.00 every month for 12 months" in page
    assert f"/pay/{link.slug}/" in page and "Copy link" in page


def test_lines_are_snapshots_product_edits_do_not_change_the_link(portal, sales_rep):
    link = make_link(portal, sales_rep)
    product = link.lines.first().product
    product.unit_price = 1
    product.name = "Renamed"
    product.save()
    line = link.lines.first()
    assert (line.name, line.unit_amount) == ("Onboarding", 20000)


def test_edit_keeps_snapshots_and_changes_price_quantity_discount(portal, sales_rep, rep_client):
    link = make_link(portal, sales_rep)
    lines = list(link.lines.all())
    data = editor_post(
        [
            {
                "line_id": lines[0].pk,
                "quantity": "2",
                "unit_amount": "150.00",
                "discount_type": "amount",
                "discount_value": "25",
            },
            {"line_id": lines[1].pk, "quantity": "1", "DELETE": "on"},
        ],
        **{"lines-INITIAL_FORMS": "2", "name": "Renamed offer", "expires_on": "2099-01-31"},
    )
    response = rep_client.post(f"/payment-links/{link.pk}/edit/", data)
    assert response.status_code == 302, text(response)[-3000:]
    link.refresh_from_db()
    assert link.name == "Renamed offer" and link.expires_at is not None
    (line,) = link.lines.all()
    assert (line.name, line.quantity, line.unit_amount, line.discount_amount) == (
        "Onboarding",
        2,
        15000,
        2500,
    )


def test_editor_refuses_no_lines_and_bad_discounts(portal, rep_client):
    response = rep_client.post("/payment-links/new/", editor_post([]))
    assert response.status_code == 200 and "Add at least one line item" in text(response)
    product = ProductFactory(portal=portal)
    response = rep_client.post(
        "/payment-links/new/",
        editor_post(
            [
                {
                    "product": product.pk,
                    "quantity": "1",
                    "discount_type": "percent",
                    "discount_value": "120",
                }
            ]
        ),
    )
    assert "between 0 and 100" in text(response)
    assert not PaymentLink.objects.exists()


def test_products_of_another_portal_cannot_be_added(portal, other_portal, rep_client):
    foreign = ProductFactory(portal=other_portal)
    response = rep_client.post(
        "/payment-links/new/", editor_post([{"product": foreign.pk, "quantity": "1"}])
    )
    assert response.status_code == 200 and not PaymentLink.objects.exists()


def test_list_shows_status_uses_and_revenue(portal, sales_rep, rep_client):
    make_link(portal, sales_rep, name="Active one")
    inactive = make_link(portal, sales_rep, name="Old one")
    inactive.active = False
    inactive.save()
    page = text(rep_client.get("/payment-links/"))
    assert "Active one" in page and "Old one" in page and "Inactive" in page
    assert "$0.00" in page


def test_deactivate_and_reactivate(portal, sales_rep, rep_client):
    link = make_link(portal, sales_rep)
    assert rep_client.post(f"/payment-links/{link.pk}/deactivate/").status_code == 302
    link.refresh_from_db()
    assert not link.active
    rep_client.post(f"/payment-links/{link.pk}/reactivate/")
    link.refresh_from_db()
    assert link.active
    assert rep_client.get(f"/payment-links/{link.pk}/deactivate/").status_code == 405


def test_billing_admin_reads_but_cannot_edit(portal, sales_rep, billing_client):
    link = make_link(portal, sales_rep)
    assert billing_client.get("/payment-links/").status_code == 200
    assert billing_client.get(f"/payment-links/{link.pk}/").status_code == 200
    assert billing_client.get("/payment-links/new/").status_code == 403
    assert billing_client.post(f"/payment-links/{link.pk}/deactivate/").status_code == 403


def test_foreign_link_is_a_404(portal, sales_rep, other_client):
    link = make_link(portal, sales_rep)
    for path in ("", "edit/"):
        assert other_client.get(f"/payment-links/{link.pk}/{path}").status_code == 404
    assert other_client.post(f"/payment-links/{link.pk}/deactivate/").status_code == 404


def test_anonymous_is_sent_to_login(db, client):
    assert client.get("/payment-links/").status_code == 302


@pytest.mark.parametrize("uses", [0])
def test_link_detail_has_uses_and_revenue(portal, sales_rep, uses):
    link = make_link(portal, sales_rep)
    detail = link_detail(portal=portal, pk=link.pk)
    assert (detail.uses, detail.revenue) == (uses, 0)


def test_a_link_cannot_be_born_expired(portal, rep_client):
    product = ProductFactory(portal=portal, name="Setup", unit_price=20000)
    data = editor_post([{"product": product.pk, "quantity": "1"}], expires_on="2020-01-31")

    response = rep_client.post("/payment-links/new/", data)

    assert response.status_code == 200
    assert "That day has passed" in text(response)
    assert not PaymentLink.objects.filter(portal=portal).exists()


def test_today_is_still_a_valid_expiry_day(portal, rep_client):
    from commerce.clock import hub_today

    product = ProductFactory(portal=portal, name="Setup", unit_price=20000)
    today = hub_today(portal.time_zone).isoformat()
    data = editor_post([{"product": product.pk, "quantity": "1"}], expires_on=today)

    response = rep_client.post("/payment-links/new/", data)

    assert response.status_code == 302, text(response)[-2000:]
    assert PaymentLink.objects.get(portal=portal).expires_at is not None


def test_the_service_refuses_an_expiry_in_the_past(portal, sales_rep):
    from datetime import timedelta

    from django.core.exceptions import ValidationError

    from commerce.clock import hub_now
    from payments.links.services import LineSpec, payment_link_create

    product = ProductFactory(portal=portal, name="Setup", unit_price=20000)
    with pytest.raises(ValidationError, match="expiry date has passed"):
        payment_link_create(
            portal=portal,
            user=sales_rep,
            lines=[LineSpec(product_id=product.pk, quantity=1)],
            name="Late",
            expires_at=hub_now() - timedelta(minutes=1),
        )
    assert not PaymentLink.objects.filter(portal=portal).exists()


def test_an_already_expired_link_can_still_be_renamed(portal, sales_rep, rep_client):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    link = make_link(portal, sales_rep)
    zone = ZoneInfo(portal.time_zone)
    # It expired at the end of Jan 31, 2020 (the form shows that day).
    ends = datetime(2020, 2, 1, tzinfo=zone)
    PaymentLink.objects.filter(pk=link.pk).update(expires_at=ends)
    lines = [{"line_id": line.pk, "quantity": "1"} for line in link.lines.all()]
    data = editor_post(
        lines,
        **{
            "lines-INITIAL_FORMS": str(len(lines)),
            "name": "Renamed offer",
            "expires_on": "2020-01-31",
        },
    )

    response = rep_client.post(f"/payment-links/{link.pk}/edit/", data)

    assert response.status_code == 302, text(response)[-3000:]
    link.refresh_from_db()
    assert (link.name, link.expires_at) == ("Renamed offer", ends)
