"""The hosted onboarding page and the Stripe.js stand-in, driven in Chromium."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

NEVER = {"enabled": True, "allow_redirects": "never"}
FRAME = 'iframe[title="Secure payment input frame"]'
CHALLENGE = 'iframe[title="3D Secure authentication"]'

# A merchant checkout page using Stripe.js exactly as the hub's template does; it would
# run unchanged with https://js.stripe.com/v3/.
CHECKOUT = """<!doctype html>
<html><head><meta charset="utf-8"><title>Checkout</title>
<script src="%(js_url)s"></script></head>
<body>
<form id="payment-form">
  <div id="payment-element"></div>
  <button id="submit" type="submit">Pay</button>
  <div id="result" role="status"></div>
</form>
<script>
  const cfg = %(config)s;
  const stripe = Stripe(cfg.pk, {stripeAccount: cfg.account});
  const elements = stripe.elements({clientSecret: cfg.clientSecret, appearance: {theme: "stripe", variables: {colorPrimary: "#0a7"}}});
  const paymentElement = elements.create("payment");
  paymentElement.mount("#payment-element");
  paymentElement.on("ready", () => { document.body.dataset.ready = "1"; });
  paymentElement.on("change", (e) => { document.body.dataset.complete = e.complete ? "1" : "0"; });
  const result = document.getElementById("result");
  document.getElementById("payment-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const {error: submitError} = await elements.submit();
    if (submitError) { result.textContent = "invalid:" + submitError.code; return; }
    const confirm = cfg.mode === "setup" ? stripe.confirmSetup : stripe.confirmPayment;
    const out = await confirm.call(stripe, {
      elements, confirmParams: {return_url: cfg.returnUrl}, redirect: cfg.redirect,
    });
    if (out.error) {
      result.textContent = ["error", out.error.type, out.error.code, out.error.decline_code || "", out.error.message].join("|");
    } else {
      const intent = out.paymentIntent || out.setupIntent;
      const again = cfg.mode === "setup" ? await stripe.retrieveSetupIntent(cfg.clientSecret)
                                         : await stripe.retrievePaymentIntent(cfg.clientSecret);
      const fetched = again.paymentIntent || again.setupIntent;
      result.textContent = ["ok", intent.status, intent.id, fetched.status].join("|");
    }
  });
</script></body></html>"""


class Site:
    """The merchant's site: serves the checkout page and records return_url visits."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.visits: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.visits.append(self.path)
                path = urlsplit(self.path).path
                body = outer.pages.get(
                    path, f"<html><body><h1 id='landed'>{path}</h1></body></html>"
                )
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def checkout(
        self, fakestripe, client_secret, account, mode="payment", redirect="if_required"
    ) -> str:
        config = {
            "pk": fakestripe.publishable_key,
            "account": account,
            "clientSecret": client_secret,
            "mode": mode,
            "redirect": redirect,
            "returnUrl": f"{self.url}/complete",
        }
        self.pages["/checkout"] = CHECKOUT % {
            "js_url": fakestripe.js_url,
            "config": json.dumps(config),
        }
        return f"{self.url}/checkout"


@pytest.fixture
def site():
    s = Site()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def fill_card(page, number, exp="12 / 34", cvc="123", zip_code="94107"):
    frame = page.frame_locator(FRAME)
    frame.get_by_label("Card number").fill(number)
    frame.get_by_label("Expiration date").fill(exp)
    frame.get_by_label("Security code").fill(cvc)
    frame.get_by_label("ZIP").fill(zip_code)
    page.wait_for_selector("body[data-complete='1']")


def open_checkout(page, url):
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")


def new_intent(connected, **extra):
    params = {"amount": 4200, "currency": "usd"}
    params.update(extra)
    return connected.v1.payment_intents.create(params=params)


def result_of(page) -> list[str]:
    page.wait_for_function("document.getElementById('result').textContent.length > 0")
    return page.locator("#result").text_content().split("|")


def test_card_payment_succeeds(page, site, fakestripe, connected, account):
    pi = new_intent(connected)
    open_checkout(page, site.checkout(fakestripe, pi.client_secret, account))
    fill_card(page, "4242 4242 4242 4242")
    page.click("#submit")
    assert result_of(page) == ["ok", "succeeded", pi.id, "succeeded"]
    assert connected.v1.payment_intents.retrieve(pi.id).status == "succeeded"
    assert "/complete" not in "".join(site.visits)  # redirect: if_required → no navigation
    # The merchant page never saw card data: the number lives in fakestripe's iframe only.
    assert "4242" not in page.content()


def test_decline_resolves_with_card_error(page, site, fakestripe, connected, account):
    pi = new_intent(connected)
    open_checkout(page, site.checkout(fakestripe, pi.client_secret, account))
    fill_card(page, "4000 0000 0000 0002")
    page.click("#submit")
    assert result_of(page) == [
        "error",
        "card_error",
        "card_declined",
        "generic_decline",
        "Your card was declined.",
    ]
    assert connected.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"


def test_incomplete_card_is_a_validation_error(page, site, fakestripe, connected, account):
    pi = new_intent(connected)
    open_checkout(page, site.checkout(fakestripe, pi.client_secret, account))
    page.frame_locator(FRAME).get_by_label("Card number").fill("4242")
    page.click("#submit")
    assert result_of(page) == ["invalid:incomplete_number"]


@pytest.mark.parametrize(
    ("button", "expected"),
    [
        ("Complete authentication", ["ok", "succeeded"]),
        (
            "Fail authentication",
            ["error", "invalid_request_error", "payment_intent_authentication_failure"],
        ),
    ],
)
def test_3ds_challenge(page, site, fakestripe, connected, account, button, expected):
    pi = new_intent(connected)
    open_checkout(page, site.checkout(fakestripe, pi.client_secret, account))
    fill_card(page, "4000 0025 0000 3155")
    page.click("#submit")
    challenge = page.frame_locator(CHALLENGE)
    challenge.get_by_role("button", name=button).click()
    assert result_of(page)[: len(expected)] == expected
    page.wait_for_selector("[data-fakestripe='3ds-overlay']", state="detached")


def test_confirm_setup_saves_card(page, site, fakestripe, connected, account):
    cus = connected.v1.customers.create()
    si = connected.v1.setup_intents.create(params={"customer": cus.id})
    open_checkout(page, site.checkout(fakestripe, si.client_secret, account, mode="setup"))
    fill_card(page, "5555 5555 5555 4444")
    page.click("#submit")
    assert result_of(page)[:3] == ["ok", "succeeded", si.id]
    pms = connected.v1.customers.payment_methods.list(cus.id).data
    assert [pm.card.last4 for pm in pms] == ["4444"]


def test_redirect_always_navigates_to_return_url(page, site, fakestripe, connected, account):
    pi = new_intent(connected)
    open_checkout(page, site.checkout(fakestripe, pi.client_secret, account, redirect="always"))
    fill_card(page, "4242424242424242")
    page.click("#submit")
    page.wait_for_selector("#landed")
    query = parse_qs(urlsplit(page.url).query)
    assert query["payment_intent"] == [pi.id]
    assert query["payment_intent_client_secret"] == [pi.client_secret]
    assert query["redirect_status"] == ["succeeded"]


# --- hosted onboarding -----------------------------------------------------------------


def onboarding_link(client, site, account_id):
    return client.v1.account_links.create(
        params={
            "account": account_id,
            "type": "account_onboarding",
            "refresh_url": f"{site.url}/refresh",
            "return_url": f"{site.url}/return",
        }
    ).url


@pytest.mark.parametrize(
    ("choice", "submitted", "charges"),
    [
        ("Submit and verify now", True, True),
        ("Submit, verification pending", True, False),
        ("Leave without finishing", False, False),
    ],
)
def test_onboarding_page(page, site, fakestripe, client, receiver, choice, submitted, charges):
    fakestripe.add_webhook_endpoint(receiver.url, connect=True)
    acct = client.v1.accounts.create(params={"type": "standard", "email": "shop@example.com"})
    url = onboarding_link(client, site, acct.id)
    page.goto(url)
    assert page.get_by_text("shop@example.com", exact=True).is_visible()
    page.get_by_role("button", name=choice).click()
    page.wait_for_selector("#landed")
    assert urlsplit(page.url).path == "/return"
    account = client.v1.accounts.retrieve(acct.id)
    assert (account.details_submitted, account.charges_enabled) == (submitted, charges)
    if choice == "Submit, verification pending":
        assert account.requirements.pending_verification
    fakestripe.flush_webhooks()
    types = [e["type"] for e in receiver.events()]
    assert types == (["account.updated"] if submitted else [])
    # Single use: the same link now sends the user to refresh_url.
    page.goto(url)
    page.wait_for_selector("#landed")
    assert urlsplit(page.url).path == "/refresh"


def test_expired_onboarding_link(page, site, fakestripe, client):
    acct = client.v1.accounts.create(params={"type": "standard"})
    url = onboarding_link(client, site, acct.id)
    fakestripe.advance_clock(301)
    page.goto(url)
    page.wait_for_selector("#landed")
    assert urlsplit(page.url).path == "/refresh"


def test_three_ds_redirect_flow_page(page, site, fakestripe, connected):
    pi = connected.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "payment_method": "pm_card_authenticationRequired",
            "confirm": True,
            "return_url": f"{site.url}/back",
        }
    )
    page.goto(pi.next_action.redirect_to_url.url)
    page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_selector("#landed")
    query = parse_qs(urlsplit(page.url).query)
    assert query["redirect_status"] == ["succeeded"] and query["payment_intent"] == [pi.id]
