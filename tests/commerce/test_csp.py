"""Content-Security-Policy: every kind of page sends it, its inline blocks carry the
response's nonce, Stripe.js is allowed from STRIPE_JS_URL's origin only, no page can be
framed, and CSP_REPORT_ONLY switches the header (commerce/csp.py, payments/stripe/csp.py).
The browser tests run with it enforced and fail on any violation (tests/conftest.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import path, reverse

from tests.factories import ContactFactory, UserFactory
from tests.payments.support import make_link, start_checkout
from tests.support import line

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
HEADER = "Content-Security-Policy"

INLINE_BLOCK = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
NONCE_ATTR = re.compile(r'\snonce="([^"]*)"')


def _inline(tag: str, attrs: str) -> bool:
    """An inline block the policy governs: not a script loaded by src, nor a data block
    (`json_script`'s type="application/json" is never run)."""
    if tag.lower() != "script":
        return True
    return " src=" not in attrs and 'type="application/json"' not in attrs


def directives(response, header: str = HEADER) -> dict[str, list[str]]:
    assert header in response, f"no {header} header on {response.status_code}"
    return {
        name: sources for name, *sources in (part.split() for part in response[header].split(";"))
    }


def assert_policy(response) -> dict[str, list[str]]:
    """The fixed directives, and a nonce in the header for every inline block on the page."""
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert "'self'" in policy["form-action"]
    assert "'self'" in policy["connect-src"]  # the editors' live totals
    assert not any("unsafe" in s for s in policy["script-src"] + policy["style-src"])
    page = response.content.decode()
    assert not EVENT_HANDLER.search(page), EVENT_HANDLER.search(page)
    for tag, attrs in INLINE_BLOCK.findall(page):
        if not _inline(tag, attrs):
            continue
        nonce = NONCE_ATTR.search(attrs)
        assert nonce and nonce.group(1), f"<{tag}{attrs}> has no nonce"
        assert f"'nonce-{nonce.group(1)}'" in policy[f"{tag.lower()}-src"], (tag, attrs)
    return policy


def inline_blocks(response) -> list[str]:
    return [
        tag for tag, attrs in INLINE_BLOCK.findall(response.content.decode()) if _inline(tag, attrs)
    ]


# --- Staff pages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "inline_scripts"),
    [
        ("dashboard", 0),
        ("catalog:list", 0),
        ("catalog:create", 1),
        ("customers:create", 1),
        ("settings:portal", 2),
        ("settings:team", 1),
        ("payment_links:create", 1),
        ("quotes:index", 0),
        ("invoices:index", 0),
    ],
)
def test_staff_pages_send_the_policy_with_the_nonce_of_their_inline_blocks(
    admin_client_, url_name, inline_scripts
):
    response = admin_client_.get(reverse(url_name))
    assert response.status_code == 200
    assert_policy(response)
    blocks = inline_blocks(response)
    assert blocks.count("script") == inline_scripts
    assert "style" in blocks  # the portal's accent colour


def test_each_response_has_its_own_nonce(admin_client_):
    first = directives(admin_client_.get(reverse("dashboard")))["script-src"]
    second = directives(admin_client_.get(reverse("dashboard")))["script-src"]
    nonce = [s for s in first if s.startswith("'nonce-")]
    assert nonce and nonce != [s for s in second if s.startswith("'nonce-")]


def test_the_django_admin_sends_the_policy(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert_policy(response)


# --- Buyer pages ---------------------------------------------------------------------


def test_checkout_page_allows_stripe_js_from_its_setting_and_nonces_the_cached_shell(
    stripe_hub, ready_account, portal
):
    # Given a payment link, whose page is cached after the first buyer
    link = make_link(portal)
    first = Client().get(f"/pay/{link.slug}/")
    again = Client().get(f"/pay/{link.slug}/")  # the cached page, new nonce put in

    # Then each response's inline style carries its own nonce
    nonces = []
    for response in (first, again):
        assert response.status_code == 200
        policy = assert_policy(response)
        nonces.append([s for s in policy["style-src"] if s.startswith("'nonce-")])
    assert nonces[0] and nonces[0] != nonces[1]

    # And the card step loads Stripe.js from STRIPE_JS_URL, whose origin the policy allows
    buyer = Client()
    start_checkout(buyer, link)
    response = buyer.get(f"/pay/{link.slug}/")
    assert f'<script src="{stripe_hub.js_url}"></script>' in response.content.decode()
    policy = assert_policy(response)
    for directive in ("script-src", "frame-src", "connect-src", "form-action"):
        assert stripe_hub.url in policy[directive], directive
    assert not any("stripe.com" in s for sources in policy.values() for s in sources)


def test_stripes_own_stripe_js_gets_stripes_origins(client, db, settings):
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    settings.STRIPE_API_BASE = ""
    policy = directives(client.get(reverse("login")))
    assert "https://js.stripe.com" in policy["script-src"]
    assert {"https://js.stripe.com", "https://hooks.stripe.com"} <= set(policy["frame-src"])
    assert policy["connect-src"] == ["'self'", "https://api.stripe.com"]
    # Connect onboarding: a form post answered by a redirect to Stripe's hosted pages
    assert policy["form-action"] == ["'self'", "https://connect.stripe.com"]


def test_quote_and_invoice_pages_nonce_their_document_styles(client, portal, sales_rep):
    from invoices import services as invoices
    from quotes import services as quotes

    contact = ContactFactory(portal=portal)
    quote = quotes.quote_create(
        portal=portal,
        actor=None,
        title="Website redesign",
        contact=contact,
        owner=sales_rep,
        expires_on=quotes.default_expiry(portal=portal),
        lines=[line()],
    )
    quote = quotes.quote_publish(quote=quote, actor=None)
    invoice = invoices.invoice_create(
        portal=portal,
        actor=None,
        contact=contact,
        issue_date=invoices.portal_today(portal),
        lines=[line()],
    )
    invoice = invoices.invoice_finalize(invoice=invoice, actor=None)

    for url in (
        reverse("quotes:public", args=[quote.public_token]),
        reverse("invoices_public:invoice", args=[invoice.public_token]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert_policy(response)
        assert inline_blocks(response).count("style") >= 2  # the accent, the document


# --- Error pages ---------------------------------------------------------------------


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", _boom)]
handler500 = "commerce.views.server_error"


@pytest.mark.urls(__name__)
def test_the_server_error_page_sends_the_policy(db):
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    assert_policy(response)


def test_not_found_forbidden_and_bad_request_pages_send_the_policy(client, db):
    not_found = client.get("/no-such-page/")
    bad_host = client.get("/login/", HTTP_HOST="bad host")
    lonely = Client()
    lonely.force_login(UserFactory(email="lonely@example.com"))
    forbidden = lonely.get(reverse("dashboard"))
    for response, status in ((not_found, 404), (bad_host, 400), (forbidden, 403)):
        assert response.status_code == status
        assert_policy(response)


# --- Report-only, from the environment ------------------------------------------------


def _headers_with(**env: str) -> str:
    code = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/ping');"
        "print(sorted(k for k in r.headers if k.startswith('Content-Security')))"
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CSP_"))}
    environ.update(ALLOWED_HOSTS="testserver", DJANGO_SETTINGS_MODULE="commerce.settings", **env)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_csp_report_only_switches_the_header():
    assert _headers_with() == "['Content-Security-Policy']"
    assert _headers_with(CSP_REPORT_ONLY="false") == "['Content-Security-Policy']"
    assert _headers_with(CSP_REPORT_ONLY="true") == "['Content-Security-Policy-Report-Only']"


# --- Every template, so the next one added is covered too ---------------------------

# Never shown by a browser: e-mails, and the PDF's page (WeasyPrint reads it).
NOT_IN_A_BROWSER = ("emails/", "components/pdf_base.html")


def _browser_templates():
    for template in sorted(TEMPLATES.rglob("*.html")):
        name = template.relative_to(TEMPLATES).as_posix()
        if not name.startswith(NOT_IN_A_BROWSER):
            yield name, template.read_text()


def test_no_template_has_an_inline_event_handler():
    offenders = [name for name, text in _browser_templates() if EVENT_HANDLER.search(text)]
    assert offenders == []


def test_every_inline_script_and_style_in_a_template_carries_the_nonce():
    offenders = [
        f"{name}: <{tag}{attrs}>"
        for name, text in _browser_templates()
        for tag, attrs in INLINE_BLOCK.findall(text)
        if _inline(tag, attrs) and 'nonce="{{ CSP_NONCE }}"' not in attrs
    ]
    assert offenders == []
