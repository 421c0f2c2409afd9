"""Portal & branding: details, accent colour, logo upload and the public logo URL."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from commerce.portals import services
from commerce.portals.logos import MAX_LOGO_BYTES
from tests.portals.helpers import image_bytes

pytestmark = pytest.mark.django_db

VALID = {
    "name": "Acme Renamed",
    "time_zone": "America/Chicago",
    "support_email": "Help@Acme.test",
    "accent_colour": "#0E9F6E",
    "checkout_text": "Thanks for your order.",
}


def _upload(client, content: bytes, name: str = "logo.png", content_type: str = "image/png"):
    return client.post(
        "/settings/portal/logo/",
        {"logo": SimpleUploadedFile(name, content, content_type=content_type)},
    )


def test_super_admin_saves_portal_details_and_branding(admin_client_, portal):
    response = admin_client_.post("/settings/portal/", VALID, follow=True)

    portal.refresh_from_db()
    assert (portal.name, portal.time_zone) == ("Acme Renamed", "America/Chicago")
    assert portal.accent_colour == "#0e9f6e"
    assert portal.support_email == "help@acme.test"
    assert portal.checkout_text == "Thanks for your order."
    assert "Portal settings saved." in response.content.decode()
    assert "--accent: #0e9f6e" in response.content.decode()


def test_accent_colour_without_hash_is_accepted(admin_client_, portal):
    admin_client_.post("/settings/portal/", {**VALID, "accent_colour": "123abc"})

    portal.refresh_from_db()
    assert portal.accent_colour == "#123abc"


@pytest.mark.parametrize("colour", ["red", "#12345", "#gggggg", "#1234567", ""])
def test_invalid_accent_colour_is_refused_and_nothing_is_saved(admin_client_, portal, colour):
    response = admin_client_.post("/settings/portal/", {**VALID, "accent_colour": colour})

    assert response.status_code == 400
    assert response.context["form"].errors["accent_colour"]
    portal.refresh_from_db()
    assert portal.name == "Acme Test Co."
    assert portal.accent_colour == "#4f46e5"


def test_unknown_time_zone_is_refused(admin_client_, portal):
    response = admin_client_.post("/settings/portal/", {**VALID, "time_zone": "Europe/Paris"})

    assert response.status_code == 400
    assert "time_zone" in response.context["form"].errors
    portal.refresh_from_db()
    assert portal.time_zone == "America/New_York"


def test_invalid_form_does_not_change_the_page_chrome(admin_client_, portal):
    response = admin_client_.post("/settings/portal/", {**VALID, "accent_colour": "nope"})

    assert "--accent: #4f46e5" in response.content.decode()


def test_country_and_currency_are_read_only(admin_client_, portal):
    page = admin_client_.get("/settings/portal/").content.decode()

    assert "United States" in page
    assert "USD" in page
    assert "Only the United States and US dollars are supported in this release." in page
    assert 'name="country"' not in page and 'name="currency"' not in page


def test_service_refuses_an_invalid_colour(portal):
    with pytest.raises(Exception) as refused:
        services.portal_update_branding(
            portal=portal, name="X", time_zone="America/New_York", accent_colour="blue"
        )

    assert "accent_colour" in refused.value.message_dict
    portal.refresh_from_db()
    assert portal.name == "Acme Test Co."


@pytest.mark.parametrize(
    "fmt,content_type",
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("GIF", "image/gif")],
)
def test_logo_upload_stores_raster_images_with_their_real_type(
    admin_client_, client, portal, fmt, content_type
):
    content = image_bytes(fmt)

    # The browser's claimed type is ignored: Pillow decides.
    response = _upload(admin_client_, content, name="logo.bin", content_type="text/plain")

    assert response["Location"] == "/settings/portal/"
    portal.refresh_from_db()
    assert portal.logo_content_type == content_type
    served = client.get(f"/settings/logo/{portal.public_id}")
    assert served.status_code == 200
    assert served["Content-Type"] == content_type
    assert served.content == content


def test_oversized_logo_is_refused_with_the_limit(admin_client_, portal):
    big = image_bytes("PNG") + b"\0" * MAX_LOGO_BYTES

    response = _upload(admin_client_, big)

    assert response.status_code == 400
    assert "the limit is 512 KB" in str(response.context["logo_form"].errors["logo"])
    portal.refresh_from_db()
    assert not portal.has_logo


def test_svg_logo_is_refused(admin_client_, portal):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

    response = _upload(admin_client_, svg, name="logo.svg", content_type="image/svg+xml")

    assert response.status_code == 400
    assert "SVG" in str(response.context["logo_form"].errors["logo"])
    portal.refresh_from_db()
    assert not portal.has_logo


@pytest.mark.parametrize(
    "content",
    [b"this is not an image", b"%PDF-1.7 not a logo", image_bytes("PNG")[:60]],
    ids=["text", "pdf", "truncated-png"],
)
def test_garbage_logo_is_refused_with_a_clear_message(admin_client_, portal, content):
    response = _upload(admin_client_, content)

    assert response.status_code == 400
    errors = str(response.context["logo_form"].errors["logo"])
    assert "PNG, JPEG, WebP or GIF" in errors or "damaged" in errors
    portal.refresh_from_db()
    assert not portal.has_logo


def test_other_image_formats_are_refused(admin_client_, portal):
    response = _upload(admin_client_, image_bytes("BMP"), name="logo.bmp")

    assert response.status_code == 400
    portal.refresh_from_db()
    assert not portal.has_logo


def test_replacing_a_logo_keeps_only_the_new_one(admin_client_, portal):
    _upload(admin_client_, image_bytes("PNG"))
    _upload(admin_client_, image_bytes("GIF"))

    portal.refresh_from_db()
    assert portal.logo_content_type == "image/gif"


def test_remove_logo(admin_client_, client, portal):
    services.portal_set_logo(portal=portal, content=image_bytes("PNG"))

    response = admin_client_.post("/settings/portal/logo/remove/")

    assert response["Location"] == "/settings/portal/"
    portal.refresh_from_db()
    assert not portal.has_logo
    assert client.get(f"/settings/logo/{portal.public_id}").status_code == 404


def test_logo_is_public_and_cacheable(client, portal):
    services.portal_set_logo(portal=portal, content=image_bytes("PNG"))

    response = client.get(f"/settings/logo/{portal.public_id}")

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=86400"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_logo_url_is_404_without_a_logo_or_for_an_unknown_portal(client, portal):
    assert client.get(f"/settings/logo/{portal.public_id}").status_code == 404
    assert client.get("/settings/logo/00000000-0000-0000-0000-000000000000").status_code == 404


def test_logo_shows_in_the_sidebar(admin_client_, portal):
    services.portal_set_logo(portal=portal, content=image_bytes("PNG"))

    page = admin_client_.get("/").content.decode()

    assert f"/settings/logo/{portal.public_id}" in page


@pytest.mark.parametrize("who", ["billing_client", "rep_client"])
def test_other_roles_see_the_portal_read_only(request, portal, who):
    client = request.getfixturevalue(who)

    page = client.get("/settings/portal/").content.decode()

    assert "Only super admins" in page
    assert 'name="accent_colour"' not in page
    assert "Upload logo" not in page and "Remove logo" not in page
    assert portal.accent_colour in page


@pytest.mark.parametrize("who", ["billing_client", "rep_client"])
def test_other_roles_cannot_change_the_portal_or_its_logo(request, portal, who):
    client = request.getfixturevalue(who)
    services.portal_set_logo(portal=portal, content=image_bytes("PNG"))

    assert client.post("/settings/portal/", VALID).status_code == 403
    assert _upload(client, image_bytes("GIF")).status_code == 403
    assert client.post("/settings/portal/logo/remove/").status_code == 403

    portal.refresh_from_db()
    assert portal.name == "Acme Test Co."
    assert portal.logo_content_type == "image/png"
