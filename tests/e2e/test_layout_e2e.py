"""No page of the main journeys clips or spills its text, on a phone (390 px) and a
desktop (1366 px), when names are as long as the hub allows and have no spaces.

A page passes when the document doesn't scroll sideways, and no element's content is
wider than its box: not hidden (overflow hidden or clip), not spilling over its
neighbours, not truncating a select's chosen option. Two exceptions, both deliberate:
an ellipsis (text-overflow: ellipsis), and a table that scrolls inside its card, which
it may do on a phone only: on a desktop every column fits.

Set LAYOUT_SHOTS=/tmp/shots to save a screenshot of every page at both widths.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.test import Client
from django.urls import reverse

from commerce.catalog.models import BillingFrequency
from commerce.clock import hub_now
from invoices import services as invoices
from payments.links.services import LineSpec
from payments.models import Checkout, Payment
from quotes import services as quotes
from subscriptions import dunning
from subscriptions.models import BillingAttempt, BillingCycle, Subscription, SubscriptionEvent
from tests.e2e.support import CARD_FRAME
from tests.factories import PASSWORD, ContactFactory, ProductFactory
from tests.payments import support
from tests.support import line

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("LAYOUT_SHOTS", "")
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


def unbroken(word: str, length: int) -> str:
    """`length` characters without a space: the worst a name field accepts."""
    return (word * (length // len(word) + 1))[:length]


PRODUCT = unbroken("Enterpriseanalyticsplatformlicence", 200)
PLAN = unbroken("Managedinfrastructuresubscription", 200)
SKU = unbroken("SKU-ENTERPRISE-", 64)
FIRST = unbroken("Maximilianaalexandrina", 100)
LAST = unbroken("Wolfeschlegelsteinhausenberger", 100)
COMPANY = unbroken("Internationalholdingscorporation", 200)
BUYER = f"{FIRST} {LAST}"[:200]  # the checkout's name field holds 200
EMAIL = unbroken("procurement", 60) + "@" + unbroken("subsidiary", 60) + ".example.com"

# Finds what is clipped or spills; returns one line per problem.
CHECK = """
(desktop) => {
  const problems = [];
  const doc = document.scrollingElement;
  if (doc.scrollWidth > window.innerWidth) {
    problems.push(`the page scrolls sideways (${doc.scrollWidth}px in ${window.innerWidth}px)`);
  }
  const name = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    if (typeof el.className === "string" && el.className.trim()) {
      s += "." + el.className.trim().split(/\\s+/).join(".");
    }
    const text = (el.innerText || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    return text ? `${s} "${text}"` : s;
  };
  const canvas = document.createElement("canvas").getContext("2d");
  const offenders = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("svg, script, style, template, iframe, dialog:not([open])")) continue;
    const style = getComputedStyle(el);
    if (style.display === "none" || style.display === "contents") continue;
    if (style.visibility === "hidden" || el.getClientRects().length === 0) continue;
    if (style.display === "inline" || el.clientWidth <= 2) continue;  // no box; .sr-only
    if (el.tagName === "SELECT") {
      // Room for every option a person wrote in a few words; a name as long as the
      // field allows may end in an ellipsis.
      canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
      for (const option of el.options) {
        const text = option.text.trim();
        if (text.length <= 24 && canvas.measureText(text).width > room) {
          problems.push(`select cuts "${text}": ${name(el)} (${Math.round(room)}px of room)`);
          break;
        }
      }
      continue;
    }
    if (["INPUT", "TEXTAREA", "OPTION"].includes(el.tagName)) continue;
    if (el.scrollWidth <= el.clientWidth + 1) continue;
    const scrolls = ["auto", "scroll"].includes(style.overflowX);
    if (scrolls && !desktop) continue;
    if (style.textOverflow === "ellipsis") continue;
    const how = scrolls ? "scrolls on a desktop" : ["hidden", "clip"].includes(style.overflowX)
      ? "clips" : "spills";
    offenders.push([el, `${how}: ${name(el)} (${el.scrollWidth}px in ${el.clientWidth}px)`]);
  }
  // Cards and grids stacked one above the other keep a gap: they never touch.
  for (const el of document.querySelectorAll(".card, .grid")) {
    const prev = el.previousElementSibling;
    if (!prev || !prev.matches(".card, .grid") || prev.getClientRects().length === 0) continue;
    const above = prev.getBoundingClientRect(), below = el.getBoundingClientRect();
    if (above.bottom <= below.top + 1 && below.top - above.bottom < 8) {
      problems.push(`touches the box above: ${name(el)} (${below.top - above.bottom}px apart)`);
    }
  }
  // The innermost offender is the one to fix: its ancestors only carry its overflow.
  for (const [el, problem] of offenders) {
    if (!offenders.some(([other]) => other !== el && el.contains(other))) problems.push(problem);
  }
  return problems;
}
"""


@pytest.fixture
def long_names(stripe_hub, ready_account, portal, super_admin, settings):
    """One of everything the journeys show, each named as long as the hub allows."""
    portal.support_email = EMAIL
    portal.checkout_text = unbroken("Termsandconditionsapply", 300)
    portal.save()
    product = ProductFactory(
        portal=portal, name=PRODUCT, sku=SKU, unit_price=129_900, description=PRODUCT
    )
    plan = ProductFactory(
        portal=portal,
        name=PLAN,
        sku=SKU[:-1] + "M",
        unit_price=49_900,
        billing_frequency=BillingFrequency.MONTHLY,
        term_periods=12,
    )
    contact = ContactFactory(
        portal=portal, first_name=FIRST, last_name=LAST, company=COMPANY, email=EMAIL
    )

    # A link paid by a buyer with a long name: a payment, a checkout and a subscription
    link = support.make_link(
        portal,
        super_admin,
        name=PRODUCT,
        lines=[
            LineSpec(product_id=product.pk, quantity=1, discount_percent=10),
            LineSpec(product_id=plan.pk, quantity=2),
        ],
    )
    client = Client()
    checkout = support.start_checkout(client, link, email=EMAIL, name=BUYER)
    support.confirm(stripe_hub, checkout)
    support.return_to_hub(client, link, checkout)
    payment = Payment.objects.get(portal=portal)
    subscription = Subscription.objects.get(portal=portal)

    # ...whose renewal failed: past due, with a long decline in its attempts and timeline
    now = hub_now()
    cycle = BillingCycle.objects.create(
        portal=portal,
        subscription=subscription,
        period=2,
        period_start=subscription.next_billing_date,
        amount=subscription.amount,
        status=BillingCycle.Status.RETRYING,
        attempt_count=1,
        next_retry_at=now + timedelta(days=1),
        first_failed_at=now,
    )
    BillingAttempt.objects.create(
        portal=portal,
        cycle=cycle,
        number=1,
        idempotency_key="layout-attempt-1",
        status=BillingAttempt.Status.FAILED,
        payment_intent_id="pi_" + unbroken("layout", 24),
        failure_code="card_declined",
        decline_code="transaction_not_allowed",
        failure_message="The card issuer declined the payment: " + unbroken("declined", 120),
        finished_at=now,
    )
    Subscription.objects.filter(pk=subscription.pk).update(
        status=Subscription.Status.PAST_DUE, retry_at=now + timedelta(days=1)
    )
    SubscriptionEvent.objects.create(
        portal=portal,
        subscription=subscription,
        kind="charge_failed",
        message="Period 2: attempt 1 failed (" + unbroken("transaction_not_allowed", 100) + ").",
    )

    # Quotes and invoices: a draft for the editor, an issued one for the buyer's page
    long_line = line(name=PRODUCT, description=PRODUCT, unit_amount=129_900)
    expires = quotes.default_expiry(portal=portal)
    draft_quote = quotes.quote_create(
        portal=portal,
        actor=None,
        title=PRODUCT,
        contact=contact,
        owner=super_admin,
        expires_on=expires,
        lines=[long_line],
    )
    quote = quotes.quote_publish(
        quote=quotes.quote_create(
            portal=portal,
            actor=None,
            title=PRODUCT,
            contact=contact,
            owner=super_admin,
            expires_on=expires,
            lines=[long_line],
        ),
        actor=None,
    )
    today = hub_now().date()
    draft_invoice = invoices.invoice_create(
        portal=portal, actor=None, contact=contact, issue_date=today, lines=[long_line]
    )
    invoice = invoices.invoice_finalize(
        invoice=invoices.invoice_create(
            portal=portal, actor=None, contact=contact, issue_date=today, lines=[long_line]
        ),
        actor=None,
    )
    return {
        "staff": [
            "/",
            "/products/",
            "/products/new/",
            f"/products/{product.pk}/",
            f"/products/{product.pk}/edit/",
            "/contacts/",
            f"/contacts/{contact.pk}/",
            f"/contacts/{contact.pk}/edit/",
            "/quotes/",
            f"/quotes/{quote.pk}/",
            "/quotes/new/",
            f"/quotes/{draft_quote.pk}/edit/",
            "/invoices/",
            f"/invoices/{invoice.pk}/",
            f"/invoices/{draft_invoice.pk}/",
            "/invoices/new/",
            f"/invoices/{draft_invoice.pk}/edit/",
            "/payment-links/",
            f"/payment-links/{link.pk}/",
            "/payment-links/new/",
            f"/payment-links/{link.pk}/edit/",
            "/payments/",
            f"/payments/{payment.pk}/",
            "/subscriptions/",
            f"/subscriptions/{subscription.pk}/",
            "/reports/",
            "/settings/",
            "/settings/portal/",
            "/settings/team/",
            "/payments/settings/",
        ],
        "public": [
            f"/pay/{link.slug}/",
            reverse("public:receipt", args=[Checkout.objects.get(portal=portal).public_id]),
            f"/quotes/p/{quote.public_token}/",
            f"/invoice/{invoice.public_token}/",
            reverse("subscriptions:card_update", args=[dunning.card_update_token(subscription)]),
        ],
        "link": link,
    }


def _check(page, url: str, width: str, *, step: str = "") -> list[str]:
    if not step:
        page.goto(url)
    page.wait_for_load_state("load")
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        slug = urlparse(url).path.strip("/").replace("/", "_")[:40] or "dashboard"
        page.screenshot(path=f"{SHOTS}/{width}-{slug}{step}.png", full_page=True)
    return [f"{width} {url}: {p}" for p in page.evaluate(CHECK, width == "desktop")]


def test_no_page_clips_or_spills_long_names_on_a_phone_or_a_desktop(
    transactional_db, live_server, long_names, super_admin, new_page
):
    problems: list[str] = []
    for width, viewport in WIDTHS.items():
        page = new_page(viewport)
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", super_admin.email)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        for path in long_names["staff"] + long_names["public"]:
            problems += _check(page, live_server.url + path, width)

        # The card step of the hosted checkout, after the buyer's details
        buyer = new_page(viewport)
        buyer.goto(f"{live_server.url}/pay/{long_names['link'].slug}/")
        buyer.get_by_label("Email").fill(EMAIL)
        buyer.get_by_label("Full name").fill(BUYER)
        buyer.get_by_role("button", name="Continue to payment").click()
        buyer.locator("#payment-form").wait_for()
        problems += _check(buyer, buyer.url, width, step="-card")
    assert not problems, "\n".join(problems)


def test_a_declined_card_on_a_phone_brings_the_error_into_view_and_focus(
    transactional_db, live_server, long_names, new_page
):
    # Given a buyer on a phone at the card step of a long order
    page = new_page(WIDTHS["phone"])
    page.goto(f"{live_server.url}/pay/{long_names['link'].slug}/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_role("button", name="Continue to payment").click()
    card = page.frame_locator(CARD_FRAME)
    card.locator("#cardnumber").fill("4000 0000 0000 0002")
    card.locator("#exp-date").fill("12 / 34")
    card.locator("#cvc").fill("123")
    card.locator("#postal").fill("10001")
    page.evaluate("window.scrollTo(0, 0)")

    # When the card is declined
    page.locator("#pay-button").click()
    message = page.locator("#payment-message")
    message.wait_for(state="visible")

    # Then the message is on screen and focused, so it is seen and read out
    page.wait_for_function(
        """() => {
          const box = document.getElementById("payment-message").getBoundingClientRect();
          return box.top >= 0 && box.bottom <= window.innerHeight;
        }"""
    )
    assert page.evaluate("document.activeElement.id") == "payment-message"
