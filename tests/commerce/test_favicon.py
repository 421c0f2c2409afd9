"""The hub's icon: linked from every layout, and /favicon.ico (which browsers ask for on
their own) answers with it instead of a 404."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse

from tests.payments.support import make_link

ROOT = Path(__file__).resolve().parents[2]
ICON_LINK = f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">'


def test_favicon_ico_sends_the_browser_to_the_svg_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("favicon.svg")
    assert "max-age=86400" in response["Cache-Control"]

    icon = finders.find("favicon.svg")
    assert icon, "static/favicon.svg is missing"
    root = ET.parse(icon).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 32 32"


def test_every_layout_links_the_icon(admin_client_, stripe_hub, ready_account, portal):
    pages = {
        "staff (base.html)": admin_client_.get(reverse("dashboard")),
        "sign in (base_plain.html)": Client().get(reverse("login")),
        "not found (base_plain.html)": Client().get("/no-such-page/"),
        "buyer (public/base_public.html)": Client().get(f"/pay/{make_link(portal).slug}/"),
    }
    for name, response in pages.items():
        assert ICON_LINK in response.content.decode(), name
    # The server error page is plain HTML, served even when templates fail.
    assert 'href="/static/favicon.svg"' in (ROOT / "templates" / "500.html").read_text()
