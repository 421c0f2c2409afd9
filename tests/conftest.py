"""Shared test harness.

Tests that need PostgreSQL, Redis or a browser skip with a one-line reason on a
laptop without them, and fail under CI (CI=true), where .ci/run provides them all.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.support import require

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by
# the test itself are still synchronous, so allow them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts"


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 1
        ):
            return True
    except OSError:
        return False


@pytest.fixture
def postgres(db) -> None:
    """Marks a test that needs the real PostgreSQL (locking, concurrency)."""
    from django.db import connection

    require(connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL=postgres://…")


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    require(
        bool(url) and _reachable(url, 6379), "needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0"
    )
    return url


# --- Browser ------------------------------------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    require(
        Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is not None,
        f"needs Chromium at {CHROMIUM} (apt-get install chromium)",
    )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - dev extras always install it
        require(False, "needs Playwright for Python (pip install playwright)")
        raise
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


# Every frame of every page reports Content-Security-Policy violations to the test.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolation(
    `${e.disposition} ${e.effectiveDirective}: ${e.blockedURI || "inline"} on ${e.documentURI}`
  );
});
"""


def _enforce_csp(settings) -> None:
    """The browser tests run with the policy enforced, whatever CSP_REPORT_ONLY says."""
    report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
    if report_only and not getattr(settings, "CONTENT_SECURITY_POLICY", None):
        settings.CONTENT_SECURITY_POLICY = report_only
        settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = None


@pytest.fixture
def new_page(browser, request, settings):
    """A factory of pages, each in a fresh browser context (fresh cookies).

    The hub's Content-Security-Policy is enforced, and a test whose pages violate it
    fails (at teardown, listing what was refused), so a blocked script or frame never
    passes unnoticed. On failure every page opened by the test is saved as a screenshot
    under var/test-artifacts/.
    """
    _enforce_csp(settings)
    contexts = []
    pages = []
    violations: list[str] = []

    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"console: {message.text}")

    def make(viewport: dict | None = None):
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        context.expose_binding("__cspViolation", lambda source, text: violations.append(text))
        context.add_init_script(_CSP_LISTENER)
        contexts.append(context)
        page = context.new_page()
        page.on("console", on_console)
        pages.append(page)
        return page

    make.csp_violations = violations  # for the test of this check (tests/e2e/test_csp_e2e.py)
    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for i, page in enumerate(pages):
            try:
                path = ARTIFACTS / f"{request.node.name}-{i}.png"
                page.screenshot(path=str(path), full_page=True)
                print(f"screenshot saved: {path}")
            except Exception as exc:  # the page may already be gone
                print(f"no screenshot for page {i}: {exc}")
    for context in contexts:
        context.close()
    if violations and failed:
        print("Content-Security-Policy violations:", *violations, sep="\n")
    elif violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations))


@pytest.fixture
def page(new_page):
    return new_page()


# --- Portals, users and signed-in clients ------------------------------------


@pytest.fixture
def portal(db):
    from tests.factories import PortalFactory

    return PortalFactory(name="Acme Test Co.")


@pytest.fixture
def other_portal(db):
    from tests.factories import PortalFactory

    return PortalFactory(name="Other Portal Inc.")


def _member(portal, role, email):
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory(email=email)
    MembershipFactory(portal=portal, user=user, role=role)
    return user


@pytest.fixture
def super_admin(portal):
    return _member(portal, "super_admin", "admin@acme.test")


@pytest.fixture
def billing_admin(portal):
    return _member(portal, "billing_admin", "billing@acme.test")


@pytest.fixture
def sales_rep(portal):
    return _member(portal, "sales_rep", "rep@acme.test")


@pytest.fixture
def other_admin(other_portal):
    return _member(other_portal, "super_admin", "admin@other.test")


def _client_for(user):
    # force_login, not client.login(): sign-in throttling (django-axes) refuses an
    # authenticate() without a request; write client.login(request=HttpRequest(), …).
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client_(super_admin):
    """Signed in as the portal's super admin (`admin_client` is pytest-django's own)."""
    return _client_for(super_admin)


@pytest.fixture
def billing_client(billing_admin):
    return _client_for(billing_admin)


@pytest.fixture
def rep_client(sales_rep):
    return _client_for(sales_rep)


@pytest.fixture
def other_client(other_admin):
    return _client_for(other_admin)


@pytest.fixture
def client_for():
    return _client_for


def pytest_collection_modifyitems(config, items):
    """Tests that drive Chromium are marked `browser`, so `-m "not browser"` leaves them out."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Cache flags (e.g. 'a run is queued') never leak from one test into the next."""
    from django.core.cache import caches

    for alias in ("default", "pages"):
        caches[alias].clear()
    yield
    for alias in ("default", "pages"):
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests create many users; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Every committed webhook event queues its processing at once (no debounce window).
    settings.STRIPE_EVENT_ENQUEUE_WINDOW_SECONDS = 0


@pytest.fixture(autouse=True, scope="session")
def _celery_eager():
    """Tasks run in-process in ordinary tests; tests about workers start real ones."""
    from commerce.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


# --- The hub pointed at fakestripe: configuration only, as in production -------


@pytest.fixture
def stripe_hub(settings, fakestripe):
    """Settings of a hub whose Stripe is the test's fakestripe; returns the handle."""
    settings.STRIPE_SECRET_KEY = fakestripe.secret_key
    settings.STRIPE_PUBLISHABLE_KEY = fakestripe.publishable_key
    settings.STRIPE_API_BASE = fakestripe.url
    settings.STRIPE_JS_URL = fakestripe.js_url
    settings.STRIPE_RETRY_BASE_SECONDS = 0.01
    settings.STRIPE_RETRY_MAX_SECONDS = 0.05
    return fakestripe


@pytest.fixture
def ready_account(stripe_hub, portal, super_admin):
    """The portal's connected account in fakestripe, verified: Ready to transact."""
    from payments.connect import services as accounts
    from payments.connect.status import AccountStatus
    from payments.models import StripeAccount

    accounts.onboarding_start(
        portal=portal,
        user=super_admin,
        ip="203.0.113.9",
        confirmed_us=True,
        accepted_terms=True,
        return_url="http://hub.test/r/",
        refresh_url="http://hub.test/f/",
    )
    account = StripeAccount.objects.get(portal=portal)
    stripe_hub.verify_account(account.stripe_id)
    account = accounts.account_refresh(account=account)
    assert account.status == AccountStatus.READY
    return account


@pytest.fixture
def hub_webhooks(stripe_hub, live_server, settings):
    """fakestripe delivers signed webhooks (platform and Connect) to the live hub."""
    url = live_server.url + "/webhooks/stripe/"
    settings.STRIPE_WEBHOOK_SECRETS = [
        stripe_hub.add_webhook_endpoint(url, connect=False),
        stripe_hub.add_webhook_endpoint(url, connect=True),
    ]
    return live_server
