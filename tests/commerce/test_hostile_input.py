"""Hostile input on every URL, every list filter and every form of the main pages: a NUL,
a superscript digit ("²", a digit to `str.isdigit()` but not to `int()`) and a 25-digit
number are a 400, a 404 or an ordinary answer, never a 500.

The cases are generated: URLs from the resolver, filter names from the GET forms and
links the pages render, fields from the POST forms they render. A URL, a filter or a
form added later is covered without touching this file. Run it on SQLite and on
PostgreSQL (DATABASE_URL=postgres://…): a NUL is a DataError only on PostgreSQL, an
out-of-range number an OverflowError only on SQLite.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from commerce.documents import forms as document_forms
from commerce.documents.lines import MAX_LINES as DOCUMENT_MAX_LINES
from commerce.portals.permissions import Role
from payments.links import forms as link_forms
from payments.links.services import MAX_LINES as LINK_MAX_LINES
from tests.factories import (
    ContactFactory,
    InvoiceFactory,
    MembershipFactory,
    PaymentFactory,
    PortalFactory,
    ProductFactory,
    QuoteFactory,
    SubscriptionFactory,
    UserFactory,
)
from tests.payments.support import make_link

NUL = "a\x00b"
SUPERSCRIPT = "²"
HUGE = "1" * 25
HOSTILE = (NUL, SUPERSCRIPT, HUGE)

_PARAM = re.compile(r"<(?:[^>:]+:)?[^>]+>")


def _routes(patterns=None, prefix: str = "") -> Iterator[str]:
    """Every path() of the URLconf as one route string ("quotes/p/<str:token>/")."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue  # the admin's two regular expressions: a catch-all and its app index
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


ROUTES = sorted(set(_routes()))
PARAM_ROUTES = [r for r in ROUTES if _PARAM.search(r)]
PLAIN_ROUTES = [r for r in ROUTES if not _PARAM.search(r) and not r.startswith("admin/")]


def _url(route: str, value: str) -> str:
    return "/" + _PARAM.sub(quote(value, safe=""), route)


def _failures(client: Client, requests: list[tuple[str, str, dict]]) -> list[str]:
    """Runs (method, url, data) and names every answer that is a 500 (or an exception),
    and every NUL that was not refused with a 400 or a 404."""
    bad = []
    for method, url, data in requests:
        try:
            response = client.generic(method, url) if not data else _send(client, method, url, data)
        except Exception as exc:
            bad.append(f"{method} {url!r} {data!r}: {type(exc).__name__}: {exc}")
            continue
        status = response.status_code
        nul = NUL in url or "%00" in url or any(NUL in str(v) for v in data.values())
        if status >= 500 or (nul and status not in (400, 404)):
            bad.append(f"{method} {url!r} {data!r}: HTTP {status}")
    return bad


def _send(client: Client, method: str, url: str, data: dict):
    return client.get(url, data) if method == "GET" else client.post(url, data)


@pytest.fixture
def world(portal, super_admin):
    """A portal with one of everything its lists show, and a second portal its super
    admin belongs to (so the portal switcher is on the page)."""
    contact = ContactFactory(portal=portal)
    ProductFactory(portal=portal)
    QuoteFactory(portal=portal, contact=contact)
    InvoiceFactory(portal=portal, contact=contact)
    PaymentFactory(portal=portal)
    SubscriptionFactory(portal=portal, contact=contact)
    make_link(portal, super_admin)
    MembershipFactory(portal=PortalFactory(name="Second"), user=super_admin, role=Role.SUPER_ADMIN)
    return portal


@pytest.fixture
def django_admin_client(db) -> Client:
    client = Client()
    client.force_login(UserFactory(email="root@hub.test", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("route", PARAM_ROUTES)
def test_hostile_url_parameters_are_never_a_500(route, admin_client_, django_admin_client):
    """Every URL with an id, a token or any other parameter, GET and POST, with each
    hostile value in every parameter; signed in as the portal's super admin (the
    Django admin's URLs as a Django superuser)."""
    client = django_admin_client if route.startswith("admin/") else admin_client_
    requests = [(m, _url(route, v), {}) for v in HOSTILE for m in ("GET", "POST")]
    bad = _failures(client, requests)
    assert not bad, "\n".join(bad)


def test_buyer_pages_refuse_a_malformed_token_before_any_query(
    client, db, django_assert_num_queries
):
    """The report's examples and their kin, anonymous as a buyer is: a token that is not
    base64url of at most 64 characters never reaches the database."""
    paths = [
        "/pay/%00/",
        "/quotes/p/%00/",
        "/quotes/p/%00/pdf/",
        "/invoice/%00/",
        "/invoice/%00/pdf/",
    ]
    for token in ("not a token", quote(SUPERSCRIPT), "x" * 65, "a.b"):
        paths += [f"/pay/{token}/", f"/quotes/p/{token}/", f"/invoice/{token}/pdf/"]
    for path in paths:
        with django_assert_num_queries(0):
            status = client.get(path).status_code
        assert status == (400 if "%00" in path else 404), path


def test_nul_anywhere_in_a_request_is_the_hubs_400_page(admin_client_, world):
    for response in (
        admin_client_.get("/payment-links/", {"q": NUL}),
        admin_client_.get("/payment-links/", {NUL: "1"}),
        admin_client_.post("/contacts/new/", {"first_name": NUL, "email": "a@b.test"}),
        admin_client_.get("/contacts/", HTTP_USER_AGENT=NUL),
    ):
        assert response.status_code == 400
        assert "We could not read that request" in response.content.decode()


def test_nul_in_a_json_body_is_a_json_400(client, db):
    response = client.post(
        "/webhooks/stripe/", data=b'{"id": "evt_\\u0000"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"error": "The request contains a NUL character."}
    # An escaped backslash followed by the text "u0000" is not a NUL.
    assert client.post(
        "/webhooks/stripe/", data=b'{"id": "evt_\\\\u0000"}', content_type="application/json"
    ).json() != {"error": "The request contains a NUL character."}


# --- List filters and forms, discovered from the pages --------------------------------


class _Forms(HTMLParser):
    """The field names of a page's GET forms and POST forms (with their current values),
    and the query names of its links, by target path."""

    def __init__(self, page_path: str) -> None:
        super().__init__()
        self.page_path = page_path
        self.get_names: dict[str, set[str]] = {}
        self.post_forms: list[tuple[str, dict[str, str]]] = []
        self._form: tuple[str, str, dict[str, str]] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = urlsplit(a.get("action") or self.page_path).path or self.page_path
            self._form = (a.get("method", "get").lower(), action, {})
        elif tag in ("input", "select", "textarea", "button") and self._form and a.get("name"):
            if tag == "input" and a.get("type") in ("checkbox", "radio") and "checked" not in a:
                self._form[2].setdefault(a["name"], "")
            elif tag != "button":
                self._form[2][a["name"]] = a.get("value", "")
        elif tag == "a" and a.get("href", "").startswith(("/", "?")):
            target = urlsplit(a["href"])
            names = {name for name, _ in parse_qsl(target.query, keep_blank_values=True)}
            self.get_names.setdefault(target.path or self.page_path, set()).update(names)

    def handle_endtag(self, tag):
        if tag == "form" and self._form:
            method, action, fields = self._form
            if method == "get":
                self.get_names.setdefault(action, set()).update(fields)
            else:
                self.post_forms.append((action, fields))
            self._form = None


def _pages(client: Client) -> dict[str, _Forms]:
    pages = {}
    for route in PLAIN_ROUTES:
        path = "/" + route
        response = client.get(path)
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            parser = _Forms(path)
            parser.feed(response.content.decode())
            pages[path] = parser
    return pages


def test_every_list_filter_refuses_hostile_values_without_a_500(admin_client_, world):
    """Each list page (and each export it links to) with each of its filter names set
    to each hostile value in turn, the others left out."""
    pages = _pages(admin_client_)
    names: dict[str, set[str]] = {"/" + route: {"q", "page"} for route in PLAIN_ROUTES}
    for parser in pages.values():
        for target, found in parser.get_names.items():
            if target in names:
                names[target] |= found
                if target not in pages:  # a download that takes the page's filters
                    names[target] |= parser.get_names.get(parser.page_path, set())
    assert {"contact", "owner", "status"} <= names["/quotes/"]  # the walk finds filters
    assert "contact" in names["/invoices/export/invoices.csv"]
    requests = [
        ("GET", path, {name: value})
        for path, found in sorted(names.items())
        if path != "/logout/"
        for name in sorted(found)
        for value in HOSTILE
    ]
    bad = _failures(admin_client_, requests)
    assert not bad, "\n".join(bad)


def test_the_reports_examples(admin_client_, world):
    for path in ("/quotes/", "/invoices/", "/invoices/export/invoices.csv"):
        assert admin_client_.get(path, {"q": SUPERSCRIPT}).status_code == 200, path
    for field in ("contact", "owner"):
        assert admin_client_.get("/quotes/", {field: "9" * 20}).status_code == 200
    for value in (SUPERSCRIPT, "9" * 5000, "9" * 20, "٣"):
        response = admin_client_.post("/portal/switch/", {"portal": value})
        assert response.status_code == 302
        assert admin_client_.get("/").context["portal"] == world
    assert admin_client_.get("/payment-links/", {"q": NUL}).status_code == 400


# The CSRF token, the editors' row template and Django's formset counters (bounded by
# `absolute_max`: see the next test) are machinery, not fields a person fills in.
_MACHINERY = re.compile(r"^csrfmiddlewaretoken$|__prefix__|-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$")


def test_a_claimed_huge_number_of_line_rows_builds_at_most_twice_the_limit(portal):
    """Django builds max_num + 1000 forms for whatever TOTAL_FORMS a request claims;
    the line editors stop at twice their limit and say so."""
    for formset_class, limit in (
        (document_forms.line_formset(), DOCUMENT_MAX_LINES),
        (link_forms._line_formset_class(1), LINK_MAX_LINES),
    ):
        data = {"lines-TOTAL_FORMS": HUGE[:7], "lines-INITIAL_FORMS": "0"}
        formset = formset_class(data, portal=portal, prefix="lines")
        assert formset.total_form_count() == 2 * limit
        assert not formset.is_valid()
        assert f"at most {limit} form" in str(formset.non_form_errors())


def test_every_form_field_of_the_main_pages_refuses_hostile_values(
    admin_client_, world, stripe_hub
):
    """Each POST form on the pages without parameters (the switcher, the editors, the
    settings), submitted as rendered: once with every field set to each hostile value,
    then with one field at a time set to one of them (a view may read a field only
    when the others are valid)."""
    forms: dict[tuple[str, frozenset[str]], dict[str, str]] = {}
    for parser in _pages(admin_client_).values():
        for action, fields in parser.post_forms:
            fields = {k: v for k, v in fields.items() if not _MACHINERY.search(k)}
            if action != "/logout/" and fields:
                forms.setdefault((action, frozenset(fields)), fields)
    assert any(action == "/portal/switch/" for action, _names in forms)
    requests = []
    for (action, _names), fields in sorted(forms.items(), key=lambda item: item[0][0]):
        requests += [("POST", action, dict.fromkeys(fields, value)) for value in HOSTILE]
        for index, name in enumerate(sorted(fields)):
            value = (SUPERSCRIPT, HUGE)[index % 2]
            requests.append(("POST", action, {**fields, name: value}))
    bad = _failures(admin_client_, requests)
    assert not bad, "\n".join(bad)
