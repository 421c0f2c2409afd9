"""The buyer's page: branded, read by token only, answers once, constant queries."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quotes import services
from quotes.models import QuoteStatus
from tests.support import line

pytestmark = pytest.mark.django_db


def test_public_page_shows_seller_buyer_lines_totals_and_terms(client, make_quote, portal):
    portal.accent_colour = "#0f766e"
    portal.save()
    quote = make_quote(terms="Payment within 30 days.", publish=True)
    response = client.get(reverse("quotes:public", args=[quote.public_token]))
    body = response.content.decode()
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex"
    for text in (
        "Acme Test Co.",
        "Bea Buyer",
        "buyer@client.test",
        "Consulting",
        "$110.00",
        "Payment within 30 days.",
        "#0f766e",
        "Accept this quote",
    ):
        assert text in body, text


def test_unknown_and_reverted_tokens_are_404(client, make_quote):
    quote = make_quote(publish=True)
    token = quote.public_token
    services.quote_revert(quote=quote, actor=None)
    for bad in (token, "nope", "x" * 80):  # a token longer than 64 does not even resolve
        page = f"/quotes/p/{bad}/"
        assert client.get(page).status_code == 404
        assert (
            client.post(page + "accept/", {"signed_name": "A B", "agree": "on"}).status_code == 404
        )
        assert client.post(page + "decline/").status_code == 404
        assert client.get(page + "pdf/").status_code == 404
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT


def test_buyer_accepts_with_name_and_terms(client, make_quote, django_capture_on_commit_callbacks):
    # (Paying on acceptance: tests/quotes/test_payment.py.)
    quote = make_quote(publish=True, requires_payment=False)
    url = reverse("quotes:public_accept", args=[quote.public_token])
    response = client.post(url, {"signed_name": "Bea Buyer"})
    assert response.status_code == 400
    assert "Tick the box" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {"signed_name": "Bea Buyer", "agree": "on"},
            HTTP_USER_AGENT="TestBrowser/1.0",
            REMOTE_ADDR="198.51.100.7",
        )
    assert response.status_code == 302
    quote.refresh_from_db()
    assert (quote.status, quote.accepted_ip, quote.accepted_user_agent) == (
        QuoteStatus.ACCEPTED,
        "198.51.100.7",
        "TestBrowser/1.0",
    )
    page = client.get(reverse("quotes:public", args=[quote.public_token])).content.decode()
    assert "Acme Test Co. has been told. Thank you!" in page
    assert "Signed by Bea Buyer" in page
    assert "Accept this quote" not in page
    # a second answer changes nothing
    response = client.post(
        reverse("quotes:public_decline", args=[quote.public_token]), {"reason": "changed my mind"}
    )
    assert response.status_code == 400
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED
    assert len(mail.outbox) == 1


def test_buyer_declines_with_an_optional_reason(client, make_quote):
    quote = make_quote(publish=True)
    response = client.post(
        reverse("quotes:public_decline", args=[quote.public_token]), {"reason": "Over budget"}
    )
    assert response.status_code == 302
    quote.refresh_from_db()
    assert (quote.status, quote.decline_reason) == (QuoteStatus.DECLINED, "Over budget")
    page = client.get(reverse("quotes:public", args=[quote.public_token])).content.decode()
    assert "You declined this quote" in page
    response = client.post(
        reverse("quotes:public_accept", args=[quote.public_token]),
        {"signed_name": "Bea Buyer", "agree": "on"},
    )
    assert response.status_code == 400
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DECLINED


def test_public_page_runs_a_constant_number_of_queries(client, make_quote):
    few = make_quote(lines=[line(name="One")], publish=True)
    many = make_quote(
        lines=[line(name=f"Line {i}", tax_rate=i % 3) for i in range(40)], publish=True
    )

    def count(quote):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("quotes:public", args=[quote.public_token]))
            assert response.status_code == 200
        return len(ctx)

    assert count(few) == count(many) == 2


def test_public_pdf_download(client, make_quote):
    quote = make_quote(publish=True)
    response = client.get(reverse("quotes:public_pdf", args=[quote.public_token]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Q-0001.pdf"'
    assert response.content.startswith(b"%PDF")
