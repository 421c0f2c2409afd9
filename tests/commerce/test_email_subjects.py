"""E-mail subjects are plain text; e-mail bodies are HTML.

A subject that says "Smith &amp; Sons" or "O&#x27;Brien" is a bug the buyer sees in their
inbox. Every subject template of the hub is rendered here with names containing `&`, `'`
and `<` (so a template added later is covered too), and the senders the buyer and the
seller meet first (receipt, new-payment notice, quote sent, invoice sent, invoice paid,
quote accepted, invitation, password reset) are driven end to end.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from commerce import pricing
from commerce.customers.models import Contact
from commerce.documents.pricing import document_totals
from commerce.notifications import render_templated_email
from commerce.portals.models import Portal, User
from invoices import emails as invoice_emails
from invoices import services as invoice_services
from invoices.models import Invoice, InvoiceStatus
from payments.models import Checkout, Payment, PaymentLink
from payments.payouts.models import Payout
from quotes import emails as quote_emails
from quotes import services as quote_services
from quotes.models import Quote
from subscriptions.models import BillingAttempt, BillingCycle, Subscription
from tests.factories import ContactFactory, MembershipFactory, PortalFactory, UserFactory
from tests.payments.support import confirm, make_link, return_to_hub, start_checkout
from tests.support import line

HOSTILE = "Smith & Sons O'Brien <Ltd>"
ESCAPED_FORMS = ("&amp;", "&#x27;", "&#39;", "&lt;", "&gt;", "&quot;")
TEMPLATES = Path(settings.BASE_DIR) / "templates"
SUBJECT_TEMPLATES = sorted((TEMPLATES / "emails").glob("*_subject.txt"))
HOSTILE_IN_HTML = html.escape(HOSTILE)  # "Smith &amp; Sons O&#x27;Brien &lt;Ltd&gt;"


def assert_plain(subject: str) -> None:
    assert not any(entity in subject for entity in ESCAPED_FORMS), subject


def assert_escaped_body(body: str) -> None:
    """The HTML body never carries the name raw (an injected tag), only escaped."""
    assert HOSTILE not in body
    assert "<Ltd>" not in body


def every_variable() -> dict:
    """One context for every e-mail template: each name a person typed is HOSTILE."""
    portal = Portal(name=HOSTILE, support_email="help@acme.test", time_zone="UTC")
    contact = Contact(portal=portal, email="bea@client.test", first_name=HOSTILE, last_name=HOSTILE)
    user = User(email="rep@acme.test", name=HOSTILE)
    today = dt.date(2026, 3, 2)
    invoice = Invoice(
        portal=portal,
        contact=contact,
        number_prefix="INV-",
        number=7,
        status=InvoiceStatus.OPEN,
        issue_date=today,
        due_date=today + dt.timedelta(days=30),
        total=12_345,
    )
    quote = Quote(
        portal=portal,
        contact=contact,
        number=12,
        title=HOSTILE,
        expires_on=today + dt.timedelta(days=30),
        accepted_name=HOSTILE,
        decline_reason=HOSTILE,
    )
    order = {
        "currency": "usd",
        "lines": [{"name": HOSTILE, "quantity": 1, "unit_amount": 12_345, "total": 12_345}],
        "subtotal": 12_345,
        "discount": 0,
        "tax": 0,
        "total": 12_345,
        "schedules": [],
    }
    checkout = Checkout(
        portal=portal,
        name=HOSTILE,
        email="bea@client.test",
        description=HOSTILE,
        amount=12_345,
        currency="usd",
        order=order,
        completed_at=timezone.now(),
    )
    subscription = Subscription(
        portal=portal,
        contact=contact,
        billing_frequency="monthly",
        amount=5_000,
        currency="usd",
        start_date=today,
        next_billing_date=today,
    )
    payment = Payment(
        portal=portal, amount=12_345, currency="usd", card_brand="visa", card_last4="4242"
    )
    cycle = BillingCycle(
        portal=portal,
        subscription=subscription,
        period=2,
        period_start=today,
        amount=5_000,
        next_retry_at=timezone.now(),
    )
    return {
        "portal": portal,
        "site_url": "http://hub.test",
        "url": "http://hub.test/x/",
        "user": user,
        "inviter": user,
        "role": "Sales rep",
        "expires_days": 3,
        "contact": contact,
        "invoice": invoice,
        "quote": quote,
        "totals": document_totals(
            [pricing.Line(name=HOSTILE, quantity=1, unit_amount=12_345)], "usd"
        ),
        "message": HOSTILE,
        "reason": HOSTILE,
        "buyer": HOSTILE,
        "checkout": checkout,
        "link": PaymentLink(portal=portal, name=HOSTILE),
        "order": order,
        "payment": payment,
        "amount": 12_345,
        "subscription": subscription,
        "change": HOSTILE,
        "card_update_url": "http://hub.test/card/",
        "receipt_url": "http://hub.test/receipt/",
        "cycle": cycle,
        "attempt": BillingAttempt(portal=portal, cycle=cycle, number=1, failure_message=HOSTILE),
        "due_by": today,
        "kind": "past_due",
        "days": 3,
        "payout": Payout(
            portal=portal,
            stripe_id="po_1",
            amount=12_345,
            status="failed",
            arrival_date=today,
            bank_name=HOSTILE,
            bank_last4="6789",
            failure_code="account_closed",
            failure_message=HOSTILE,
        ),
    }


def test_the_walk_finds_every_subject_template():
    names = {path.name.removesuffix("_subject.txt") for path in SUBJECT_TEMPLATES}
    assert {"checkout_receipt", "checkout_paid", "quote_sent", "invoice_sent"} <= names
    assert len(names) >= 18


@pytest.mark.parametrize("path", SUBJECT_TEMPLATES, ids=lambda path: path.name)
def test_every_subject_is_plain_text_and_every_body_escaped(path, db):
    template = path.name.removesuffix("_subject.txt")

    subject, _text, body = render_templated_email(template=template, context=every_variable())

    assert_plain(subject)
    assert "\n" not in subject and subject == subject.strip()
    assert_escaped_body(body)


@pytest.mark.parametrize(
    "template",
    ["checkout_receipt", "checkout_paid", "quote_sent", "invoice_sent", "quote_accepted"],
)
def test_a_name_with_ampersand_and_apostrophe_reads_as_typed_in_the_subject(template, db):
    subject, _text, body = render_templated_email(template=template, context=every_variable())

    assert HOSTILE in subject
    assert HOSTILE_IN_HTML in body


def test_no_code_renders_a_subject_with_autoescaping():
    """Every subject goes through commerce.notifications.render_subject: rendering one
    with render_to_string (autoescaped, as HTML) is how the escaped subjects came about."""
    root = Path(settings.BASE_DIR)
    offenders = []
    for package in ("commerce", "payments", "quotes", "invoices", "subscriptions", "reports"):
        for source in (root / package).rglob("*.py"):
            for number, text in enumerate(source.read_text().splitlines(), start=1):
                if re.search(r"render_to_string\([^)]*subject", text):
                    offenders.append(f"{source.relative_to(root)}:{number}")
    assert offenders == []


# --- The senders, end to end -------------------------------------------------------------


@pytest.fixture
def hostile_portal(db):
    return PortalFactory(name=HOSTILE)


@pytest.fixture
def hostile_contact(hostile_portal):
    return ContactFactory(
        portal=hostile_portal, email="bea@client.test", first_name="Bea", last_name=HOSTILE
    )


@pytest.fixture
def hostile_admin(hostile_portal):
    user = UserFactory(email="admin@hostile.test", name=HOSTILE)
    MembershipFactory(portal=hostile_portal, user=user, role="super_admin")
    return user


def sent_to(mailoutbox, address: str) -> list:
    return [m for m in mailoutbox if address in m.to]


def html_of(message) -> str:
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return content


def test_quote_sent_and_accepted_subjects_read_as_typed(
    hostile_portal, hostile_contact, hostile_admin, mailoutbox, django_capture_on_commit_callbacks
):
    quote = quote_services.quote_create(
        portal=hostile_portal,
        actor=None,
        title=HOSTILE,
        contact=hostile_contact,
        owner=hostile_admin,
        expires_on=quote_services.default_expiry(portal=hostile_portal),
        lines=[line()],
        requires_payment=False,
    )
    quote = quote_services.quote_publish(quote=quote, actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        quote_emails.quote_send(quote=quote, actor=hostile_admin)

    [sent] = sent_to(mailoutbox, "bea@client.test")
    assert sent.subject == f"{HOSTILE} — quote {quote.display_number} from {HOSTILE}"
    assert_escaped_body(html_of(sent))
    assert HOSTILE_IN_HTML in html_of(sent)

    with django_capture_on_commit_callbacks(execute=True):
        Client().post(
            reverse("quotes:public_accept", args=[quote.public_token]),
            {"signed_name": "Bea O'Brien", "agree": "on"},
        )
    [accepted] = sent_to(mailoutbox, hostile_admin.email)
    assert accepted.subject == f"Accepted: {quote.display_number} {HOSTILE}"
    assert_escaped_body(html_of(accepted))


def test_invoice_sent_subject_reads_as_typed(
    hostile_portal, hostile_contact, hostile_admin, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = invoice_services.invoice_create(
        portal=hostile_portal,
        actor=None,
        contact=hostile_contact,
        issue_date=invoice_services.portal_today(hostile_portal),
        lines=[line(HOSTILE, tax_rate=Decimal("10"))],
    )
    invoice = invoice_services.invoice_finalize(invoice=invoice, actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        invoice_emails.invoice_send(invoice=invoice, actor=None)

    [sent] = sent_to(mailoutbox, "bea@client.test")
    assert sent.subject.startswith(f"Invoice {invoice.display_number} from {HOSTILE}: $110.00")
    assert_plain(sent.subject)
    assert_escaped_body(html_of(sent))
    assert HOSTILE_IN_HTML in html_of(sent)


def test_receipt_and_new_payment_notice_subjects_read_as_typed(
    stripe_hub, portal, super_admin, ready_account, mailoutbox, django_capture_on_commit_callbacks
):
    Portal.objects.filter(pk=portal.pk).update(name=HOSTILE)
    portal.refresh_from_db()
    link = make_link(portal, name=HOSTILE)
    buyer = Client()
    checkout = start_checkout(buyer, link, name=HOSTILE)
    assert confirm(stripe_hub, checkout)["status"] == "succeeded"

    with django_capture_on_commit_callbacks(execute=True):
        return_to_hub(buyer, link, checkout)

    [receipt] = sent_to(mailoutbox, "ada@example.org")
    assert receipt.subject == f"Your receipt from {HOSTILE}: $250.00"
    assert_escaped_body(html_of(receipt))
    assert HOSTILE_IN_HTML in html_of(receipt)
    [notice] = sent_to(mailoutbox, super_admin.email)
    assert notice.subject == f"New payment: $250.00 from {HOSTILE} ({HOSTILE})"
    assert_escaped_body(html_of(notice))


def test_invitation_and_password_reset_subjects_read_as_typed(
    hostile_portal, hostile_admin, mailoutbox, django_capture_on_commit_callbacks
):
    from commerce.portals.emails import send_membership_email

    invited = UserFactory(email="new@hostile.test", name="New")
    invited.set_unusable_password()
    invited.save()
    membership = MembershipFactory(
        portal=hostile_portal, user=invited, role="sales_rep", invited_by=hostile_admin
    )
    send_membership_email(membership_id=membership.pk)
    [invitation] = sent_to(mailoutbox, "new@hostile.test")
    assert invitation.subject == f"{HOSTILE} invited you to {HOSTILE} on Commerce Hub"
    assert_escaped_body(html_of(invitation))

    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("password_reset"), {"email": hostile_admin.email})
    [reset] = sent_to(mailoutbox, hostile_admin.email)
    assert_plain(reset.subject)
