"""With only the API: a seller's code creates a product, a contact and a payment link; a
buyer pays the link in a real browser through the Stripe.js stand-in (fakestripe); the
seller's code then reads the payment back, gross, fee and net, through the API."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from api import services
from api.scopes import SCOPES
from payments.fees import services as fees
from tests.e2e.support import CARD_FRAME
from tests.payments.support import stripe_fee

pytestmark = pytest.mark.browser


class Seller:
    """The seller's own code: JSON over HTTP with a bearer key, nothing else."""

    def __init__(self, base: str, secret: str) -> None:
        self.base = base
        self.secret = secret

    def call(self, method: str, path: str, body: dict | None = None, **query: str) -> Any:
        url = f"{self.base}/api/v1{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        request = urllib.request.Request(
            url,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={"Authorization": f"Bearer {self.secret}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.headers["Content-Type"].startswith("application/json")
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:  # the error body says why
            raise AssertionError(f"{method} {path}: {exc.code} {exc.read().decode()}") from None


def until(found: Callable[[], Any], what: str, *, timeout: float = 15.0) -> Any:
    """`found()`'s first truthy answer, asked again until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        answer = found()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {timeout:.0f} s for {what}")
        time.sleep(0.1)


def test_a_payment_made_on_an_api_link_is_read_back_through_the_api(
    transactional_db, live_server, stripe_hub, ready_account, portal, settings, new_page
):
    settings.SITE_URL = live_server.url  # the links' public URLs point at this hub
    settings.FEE_SYNC_REQUESTS_PER_SECOND = 0
    before = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    seller = Seller(
        live_server.url,
        services.key_create(portal=portal, name="Website", scopes=list(SCOPES)).secret,
    )

    # Given a product, a contact and a payment link, all made through the API
    product = seller.call(
        "POST",
        "/products",
        {"name": "Onboarding workshop", "sku": "ONB-API", "unit_price": 19_900},
    )
    contact = seller.call(
        "POST",
        "/contacts",
        {"email": "ada@example.org", "first_name": "Ada", "last_name": "Lovelace"},
    )
    link = seller.call(
        "POST",
        "/payment_links",
        {"name": "Workshop via API", "lines": [{"product": product["id"], "quantity": 2}]},
    )
    assert (link["total"], link["status"]) == (39_800, "active")
    assert link["url"].startswith(f"{live_server.url}/pay/")

    # When a buyer opens the link's public URL and pays with 4242…
    buyer = new_page()
    buyer.goto(link["url"])
    buyer.get_by_label("Email").fill(contact["email"])
    buyer.get_by_label("Full name").fill("Ada Lovelace")
    buyer.get_by_role("button", name="Continue to payment").click()
    card = buyer.frame_locator(CARD_FRAME)
    card.locator("#cardnumber").fill("4242 4242 4242 4242")
    card.locator("#exp-date").fill("12 / 34")
    card.locator("#cvc").fill("123")
    card.locator("#postal").fill("10001")
    buyer.get_by_role("button", name="Pay $398.00").click()
    buyer.get_by_text("Thank you, payment received").wait_for()

    # Then the seller's code finds it in the list of succeeded payments since `before`
    def listed() -> list[dict]:
        page = seller.call("GET", "/payments", status="succeeded", **{"created[gte]": before})
        return [p for p in page["data"] if p["contact"] == contact["id"]]

    [payment] = until(listed, "the payment in GET /v1/payments")
    assert (payment["amount"], payment["currency"], payment["card_last4"]) == (
        39_800,
        "usd",
        "4242",
    )
    assert payment["source"] == "payment_link"
    assert seller.call("GET", "/payments", status="refunded")["data"] == []

    # And once the fee sync (a worker's periodic job) has run, the retrieve has gross,
    # Stripe's fee and the net
    fees.fees_sync_account(account=ready_account)
    paid = until(
        lambda: (p := seller.call("GET", f"/payments/{payment['id']}"))["fee"] is not None and p,
        "the fee in GET /v1/payments/<id>",
    )
    fee = stripe_fee(39_800)
    assert (paid["amount"], paid["fee"], paid["net"]) == (39_800, fee, 39_800 - fee)
    assert paid["id"] == payment["id"] and paid["status"] == "succeeded"
