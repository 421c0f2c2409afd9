"""The app shell: sign-in redirect, dashboard, navigation by role, honest empty states."""

from django.urls import reverse


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/")


def test_dashboard_shows_portal_counts(admin_client_, portal):
    from tests.factories import ContactFactory, ProductFactory

    ProductFactory.create_batch(2, portal=portal)
    ProductFactory(portal=portal, archived=True)
    ContactFactory(portal=portal, email="first@buyer.test")
    response = admin_client_.get(reverse("dashboard"))
    assert response.status_code == 200
    assert response.context["summary"]["products_active"] == 2
    assert response.context["summary"]["contacts"] == 1
    assert "first@buyer.test" in response.content.decode()


def test_dashboard_counts_only_own_portal(admin_client_, portal, other_portal):
    from tests.factories import ContactFactory, ProductFactory

    ProductFactory.create_batch(3, portal=other_portal)
    ContactFactory(portal=other_portal, email="theirs@buyer.test")
    response = admin_client_.get(reverse("dashboard"))
    assert response.context["summary"]["products_active"] == 0
    assert "theirs@buyer.test" not in response.content.decode()


def test_user_without_portal_sees_explanation(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(email="lonely@example.com"))
    response = client.get(reverse("dashboard"))
    assert response.status_code == 403
    assert "a member of any portal" in response.content.decode()


def test_every_section_of_the_navigation_is_built(admin_client_):
    nav = admin_client_.get(reverse("dashboard")).context["nav"]
    for item in nav:
        response = admin_client_.get(item["url"])
        assert response.status_code == 200, item["label"]
        assert "Coming soon" not in response.content.decode(), item["label"]


def test_reports_are_hidden_from_sales_reps(rep_client, billing_client):
    assert rep_client.get(reverse("reports:index")).status_code == 403
    assert billing_client.get(reverse("reports:index")).status_code == 200
    nav_labels = [item["label"] for item in rep_client.get(reverse("dashboard")).context["nav"]]
    assert "Reports" not in nav_labels
    assert "Products" in nav_labels


def test_healthz_answers_ok(client, db):
    assert client.get(reverse("healthz")).json() == {"ok": True}


def test_unknown_page_is_a_friendly_404(admin_client_):
    response = admin_client_.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
