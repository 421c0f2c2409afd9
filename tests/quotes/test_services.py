"""Each transition of the status machine, and its refusals."""

from decimal import Decimal

import pytest
from django.core import mail

from quotes import emails, services
from quotes.models import Quote, QuoteEvent, QuoteLine, QuoteNotice, QuoteStatus
from quotes.services import QuoteError
from tests.factories import ContactFactory, PaymentFactory, ProductFactory
from tests.quotes.support import days_from_today
from tests.support import line

pytestmark = pytest.mark.django_db


def kinds(quote):
    return list(quote.events.order_by("id").values_list("kind", flat=True))


def test_quotes_are_numbered_per_portal(make_quote, portal, other_portal):
    first, second = make_quote(), make_quote()
    theirs = make_quote(target_portal=other_portal)
    assert (first.number, second.number, theirs.number) == (1, 2, 1)
    assert first.display_number == "Q-0001"


def test_publish_creates_an_unguessable_token_and_locks_the_quote(make_quote):
    quote = make_quote()
    quote = services.quote_publish(quote=quote, actor=None)
    assert quote.status == QuoteStatus.PUBLISHED
    assert len(quote.public_token) >= 32
    assert kinds(quote) == ["created", "published"]
    with pytest.raises(QuoteError, match="published: it cannot be edited"):
        services.quote_update(
            quote=quote, actor=None, title="x", expires_on=quote.expires_on, lines=[line()]
        )
    with pytest.raises(QuoteError, match="cannot be published"):
        services.quote_publish(quote=quote, actor=None)


def test_a_quote_without_lines_or_contact_cannot_be_published(make_quote, portal):
    empty = make_quote(lines=[])
    with pytest.raises(QuoteError, match="at least one line"):
        services.quote_publish(quote=empty, actor=None)
    nobody = make_quote(contact=None)
    with pytest.raises(QuoteError, match="contact"):
        services.quote_publish(quote=nobody, actor=None)
    assert set(Quote.objects.values_list("status", flat=True)) == {QuoteStatus.DRAFT}


def test_a_quote_with_a_past_expiry_date_cannot_be_published(make_quote, portal):
    quote = make_quote(expires_on=days_from_today(portal, -1))
    with pytest.raises(QuoteError, match="in the past"):
        services.quote_publish(quote=quote, actor=None)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (line(quantity=-1), "quantity cannot be negative"),
        (line(discount_percent=Decimal("100.5")), "between 0% and 100%"),
        (line(unit_amount=1_000, discount_amount=1_001), "more than the line amount"),
        (line(tax_rate=Decimal("100.1")), "tax rate must be between 0% and 100%"),
        (line(tax_rate=Decimal("-1")), "tax rate must be between 0% and 100%"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_saved(make_quote, bad, message):
    with pytest.raises(QuoteError, match=message):
        make_quote(lines=[line(), bad])
    assert not Quote.objects.exists()
    assert not QuoteLine.objects.exists()


def test_update_replaces_lines_in_order_and_records_an_edit(make_quote, portal):
    product = ProductFactory(portal=portal, name="Audit", unit_price=50_000)
    quote = make_quote()
    services.quote_update(
        quote=quote,
        actor=None,
        title="New title",
        expires_on=quote.expires_on,
        lines=[line(name="Second"), line(name="Audit", product=product, unit_amount=45_000)],
        discount_percent=Decimal(5),
    )
    quote.refresh_from_db()
    assert [x.name for x in quote.lines.all()] == ["Second", "Audit"]
    assert quote.title == "New title"
    assert kinds(quote) == ["created", "updated"]


def test_products_of_another_portal_are_refused(make_quote, other_portal):
    foreign = ProductFactory(portal=other_portal)
    with pytest.raises(QuoteError, match="products of this portal"):
        make_quote(lines=[line(product=foreign)])


def test_new_contact_is_created_with_the_quote(make_quote, portal):
    quote = make_quote(
        contact=None, new_contact=services.NewContact(email="New@Buyer.test", company="New Co")
    )
    assert quote.contact.email == "new@buyer.test"
    assert quote.contact.portal == portal
    again = make_quote(contact=None, new_contact=services.NewContact(email="new@buyer.test"))
    assert again.contact == quote.contact


def test_revert_drops_the_public_link_and_allows_editing(make_quote):
    quote = make_quote(publish=True)
    old_token = quote.public_token
    quote = services.quote_revert(quote=quote, actor=None)
    assert quote.status == QuoteStatus.DRAFT
    assert quote.public_token is None
    assert not Quote.objects.filter(public_token=old_token).exists()
    published_again = services.quote_publish(quote=quote, actor=None)
    assert published_again.public_token != old_token
    assert kinds(quote) == ["created", "published", "reverted", "published"]


def test_revert_is_refused_once_accepted(make_quote):
    quote = make_quote(publish=True)
    services.quote_accept(
        quote=quote, signed_name="Bea Buyer", agreed_to_terms=True, ip="10.0.0.1", user_agent="UA"
    )
    with pytest.raises(QuoteError, match="accepted: it cannot be reverted"):
        services.quote_revert(quote=quote, actor=None)


def test_draft_cannot_be_reverted(make_quote):
    with pytest.raises(QuoteError, match="draft: it cannot be reverted"):
        services.quote_revert(quote=make_quote(), actor=None)


def test_accept_records_the_signature_and_notifies_the_owner(
    make_quote, sales_rep, django_capture_on_commit_callbacks
):
    quote = make_quote(publish=True)
    with django_capture_on_commit_callbacks(execute=True):
        quote = services.quote_accept(
            quote=quote,
            signed_name="  Bea   Buyer ",
            agreed_to_terms=True,
            ip="203.0.113.9",
            user_agent="Firefox/120",
        )
    assert quote.status == QuoteStatus.ACCEPTED
    assert (quote.accepted_name, quote.accepted_ip, quote.accepted_user_agent) == (
        "Bea Buyer",
        "203.0.113.9",
        "Firefox/120",
    )
    assert quote.accepted_at is not None
    assert [m.to for m in mail.outbox] == [[sales_rep.email]]
    assert "accepted" in mail.outbox[0].subject.lower()
    assert (
        QuoteNotice.objects.get(user=sales_rep).text
        == f"{quote.display_number} was accepted by Bea Buyer."
    )


@pytest.mark.parametrize(
    ("name", "agreed", "message"),
    [("", True, "full name"), ("B", True, "full name"), ("Bea Buyer", False, "Tick the box")],
)
def test_accept_needs_a_name_and_the_terms_ticked(make_quote, name, agreed, message):
    quote = make_quote(publish=True)
    with pytest.raises(QuoteError, match=message):
        services.quote_accept(
            quote=quote, signed_name=name, agreed_to_terms=agreed, ip=None, user_agent=""
        )
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.PUBLISHED


def test_decline_records_the_reason_and_then_accepts_nothing(
    make_quote, sales_rep, django_capture_on_commit_callbacks
):
    quote = make_quote(publish=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.quote_decline(quote=quote, reason="Too expensive")
    quote.refresh_from_db()
    assert (quote.status, quote.decline_reason) == (QuoteStatus.DECLINED, "Too expensive")
    assert "declined" in mail.outbox[0].subject.lower()
    with pytest.raises(QuoteError, match="declined and can no longer be answered"):
        services.quote_accept(
            quote=quote, signed_name="Bea Buyer", agreed_to_terms=True, ip=None, user_agent=""
        )


def test_draft_cannot_be_accepted_or_declined(make_quote):
    quote = make_quote()
    with pytest.raises(QuoteError, match="draft"):
        services.quote_accept(
            quote=quote, signed_name="Bea Buyer", agreed_to_terms=True, ip=None, user_agent=""
        )
    with pytest.raises(QuoteError, match="draft"):
        services.quote_decline(quote=quote)


def test_mark_paid_only_from_accepted_and_is_idempotent(make_quote, portal, sales_rep):
    payment = PaymentFactory(portal=portal, source="quote", amount=11_000)
    quote = make_quote(publish=True)
    with pytest.raises(QuoteError, match="published: it cannot be marked paid"):
        services.quote_mark_paid(quote=quote, payment=payment)
    services.quote_accept(
        quote=quote, signed_name="Bea Buyer", agreed_to_terms=True, ip=None, user_agent=""
    )
    paid = services.quote_mark_paid(quote=quote, payment=payment)
    again = services.quote_mark_paid(quote=quote, payment=payment)
    assert (paid.status, again.status, again.payment_id) == ("paid", "paid", payment.pk)
    assert kinds(quote).count("paid") == 1
    assert QuoteNotice.objects.filter(user=sales_rep, text__contains="was paid").count() == 1


def test_clone_makes_a_new_draft_with_the_same_lines(make_quote):
    source = make_quote(lines=[line(name="A"), line(name="B", quantity=3)], publish=True)
    clone = services.quote_clone(quote=source, actor=None)
    assert clone.status == QuoteStatus.DRAFT
    assert clone.number == source.number + 1
    assert clone.public_token is None
    assert [(x.name, x.quantity) for x in clone.lines.all()] == [("A", 1), ("B", 3)]
    assert clone.cloned_from == source
    assert QuoteEvent.objects.filter(quote=source, kind="cloned").exists()


def test_send_emails_the_contact_with_link_and_pdf(
    make_quote, rep_client, sales_rep, django_capture_on_commit_callbacks
):
    quote = make_quote(publish=True)
    with django_capture_on_commit_callbacks(execute=True):
        emails.quote_send(quote=quote, actor=sales_rep, message="As discussed.")
    message = mail.outbox[0]
    assert message.to == ["buyer@client.test"]
    assert quote.public_token in message.body
    assert "As discussed." in message.body
    assert message.alternatives and "View the quote" in message.alternatives[0][0]
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("Q-0001.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    assert kinds(quote)[-1] == "sent"


def test_a_draft_cannot_be_sent(make_quote, sales_rep):
    with pytest.raises(QuoteError, match="publish it first"):
        emails.quote_send(quote=make_quote(), actor=sales_rep)
    assert mail.outbox == []


def test_owner_must_be_a_seller_of_the_portal(make_quote, billing_admin):
    with pytest.raises(QuoteError, match="owner must be a sales rep"):
        make_quote(owner=billing_admin)


def test_contact_of_another_portal_is_refused(make_quote, other_portal):
    with pytest.raises(QuoteError, match="contact of this portal"):
        make_quote(contact=ContactFactory(portal=other_portal))
