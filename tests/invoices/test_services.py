"""The invoice status machine: every transition, every refusal, payments and numbering."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from invoices import emails, selectors, services
from invoices.models import Invoice, InvoiceEvent, InvoicePayment, InvoiceSettings, InvoiceStatus
from invoices.services import InvoiceError
from quotes import services as quote_services
from quotes.models import QuoteStatus
from tests.factories import ContactFactory, PaymentFactory, ProductFactory
from tests.support import line

pytestmark = pytest.mark.django_db


def pay(invoice, amount, method="bank_transfer", **kw):
    return services.invoice_record_payment(
        invoice=invoice,
        actor=None,
        method=method,
        amount=amount,
        paid_on=kw.pop("paid_on", services.portal_today(invoice.portal)),
        **kw,
    )


def card_payment(portal, amount, suffix="1"):
    """A succeeded card payment made through the invoice's checkout."""
    return PaymentFactory(
        portal=portal, source="invoice", amount=amount, payment_intent_id=f"pi_invoice_{suffix}"
    )


def test_draft_stores_the_priced_totals_and_has_no_number(make_invoice):
    invoice = make_invoice(
        lines=[
            line(quantity=2, unit_amount=12_500, discount_percent=Decimal(10), tax_rate=Decimal(8)),
            line(name="Rush", unit_amount=5_000, discount_amount=1_000),
        ]
    )
    # 25,000 - 10 % = 22,500 + 8 % tax 1,800; 5,000 - 1,000 = 4,000
    assert (invoice.subtotal, invoice.discount_total, invoice.tax_total, invoice.total) == (
        30_000,
        3_500,
        1_800,
        28_300,
    )
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.number is None and invoice.public_token is None
    assert invoice.display_number == "Draft invoice"


def test_payment_terms_give_the_due_date(make_invoice):
    issued = dt.date(2026, 4, 1)
    assert make_invoice(issue_date=issued, payment_terms="net_45").due_date == dt.date(2026, 5, 16)
    assert make_invoice(issue_date=issued, payment_terms="due_on_receipt").due_date == issued
    custom = make_invoice(issue_date=issued, payment_terms="custom", due_date=dt.date(2026, 4, 9))
    assert custom.due_date == dt.date(2026, 4, 9)


def test_a_due_date_before_the_issue_date_is_refused(make_invoice):
    with pytest.raises(InvoiceError, match="cannot be before the issue date"):
        make_invoice(
            issue_date=dt.date(2026, 4, 10), payment_terms="custom", due_date=dt.date(2026, 4, 1)
        )
    assert not Invoice.objects.exists()


def test_recurring_products_are_billed_once(make_invoice, portal):
    product = ProductFactory(portal=portal, billing_frequency="monthly", unit_price=4_900)
    invoice = make_invoice(
        lines=[line(name="Plan", unit_amount=4_900, product=product, billing_frequency="monthly")]
    )
    assert invoice.lines.get().billing_frequency == "one_time"
    assert invoice.total == 4_900


def test_finalize_numbers_with_the_portal_prefix_and_locks(make_invoice, portal):
    InvoiceSettings.objects.create(portal=portal, prefix="NW-", last_number=41)
    invoice = make_invoice(finalize=True)
    assert invoice.status == InvoiceStatus.OPEN
    assert invoice.display_number == "NW-0042"
    assert len(invoice.public_token) >= 43
    assert invoice.events.filter(kind="finalized").exists()
    with pytest.raises(InvoiceError, match="cannot be edited once finalized"):
        services.invoice_update(
            invoice=invoice,
            actor=None,
            contact=invoice.contact,
            issue_date=invoice.issue_date,
            payment_terms="net_15",
            lines=[line(unit_amount=1)],
        )
    invoice.refresh_from_db()
    assert invoice.payment_terms == "net_30" and invoice.total == 11_000
    with pytest.raises(InvoiceError, match="cannot be finalized again"):
        services.invoice_finalize(invoice=invoice, actor=None)
    assert InvoiceSettings.objects.get(portal=portal).last_number == 42


def test_numbers_are_consecutive_and_a_refused_finalization_uses_none(make_invoice, portal):
    first = make_invoice(finalize=True)
    with pytest.raises(InvoiceError, match="Choose the contact"):
        services.invoice_finalize(invoice=make_invoice(contact=None), actor=None)
    with pytest.raises(InvoiceError, match="at least one line"):
        services.invoice_finalize(invoice=make_invoice(lines=[]), actor=None)
    second = make_invoice(finalize=True)
    assert [first.number, second.number] == [1, 2]


def test_a_zero_invoice_cannot_be_finalized(make_invoice):
    invoice = make_invoice(lines=[line(unit_amount=0)])
    with pytest.raises(InvoiceError, match=r"more than \$0.00"):
        services.invoice_finalize(invoice=invoice, actor=None)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DRAFT and invoice.number is None


def test_manual_payments_move_open_to_partially_paid_to_paid(make_invoice):
    invoice = make_invoice(finalize=True)  # 11,000 with tax
    pay(invoice, 4_000, reference="TR-1")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.amount_due) == (
        InvoiceStatus.PARTIALLY_PAID,
        4_000,
        7_000,
    )
    pay(invoice, 7_000, method="cheque")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_at is not None
    kinds = list(invoice.events.values_list("kind", flat=True))
    assert kinds.count("payment") == 2 and "paid" in kinds


@pytest.mark.parametrize(
    ("amount", "message"),
    [(11_001, r"more than the amount due \(\$110.00\)"), (0, r"more than \$0.00"), (-5, "more")],
)
def test_a_manual_payment_outside_the_amount_due_is_refused(make_invoice, amount, message):
    invoice = make_invoice(finalize=True)
    with pytest.raises(InvoiceError, match=message):
        pay(invoice, amount)
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0 and invoice.status == InvoiceStatus.OPEN
    assert not InvoicePayment.objects.exists()


def test_paying_a_draft_a_paid_or_a_void_invoice_is_refused(make_invoice):
    with pytest.raises(InvoiceError, match="Finalize the invoice"):
        pay(make_invoice(), 100)
    paid = make_invoice(finalize=True)
    pay(paid, 11_000)
    with pytest.raises(InvoiceError, match="is paid: it cannot be paid"):
        pay(paid, 1)
    void = services.invoice_void(invoice=make_invoice(finalize=True), actor=None)
    with pytest.raises(InvoiceError, match="is void: it cannot be paid"):
        pay(void, 1)
    assert InvoicePayment.objects.count() == 1


def test_a_payment_dated_in_the_future_is_refused(make_invoice):
    invoice = make_invoice(finalize=True)
    with pytest.raises(InvoiceError, match="cannot be in the future"):
        pay(invoice, 100, paid_on=services.portal_today(invoice.portal) + dt.timedelta(days=1))


def test_deleting_a_manual_payment_reopens_the_invoice_as_the_dates_say(make_invoice):
    invoice = make_invoice(finalize=True, issue_date=dt.date(2020, 1, 1))  # due long ago
    assert invoice.status == InvoiceStatus.PAST_DUE
    first = pay(invoice, 5_000)
    second = pay(invoice, 6_000)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    services.invoice_delete_payment(invoice=invoice, actor=None, payment_id=second.pk)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.paid_at) == (
        InvoiceStatus.PAST_DUE,
        5_000,
        None,
    )
    services.invoice_delete_payment(invoice=invoice, actor=None, payment_id=first.pk)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAST_DUE and invoice.amount_paid == 0
    current = make_invoice(finalize=True)
    payment = pay(current, 11_000)
    services.invoice_delete_payment(invoice=current, actor=None, payment_id=payment.pk)
    current.refresh_from_db()
    assert current.status == InvoiceStatus.OPEN


def test_a_payment_of_another_invoice_cannot_be_deleted_through_this_one(make_invoice):
    one, other = make_invoice(finalize=True), make_invoice(finalize=True)
    payment = pay(other, 100)
    with pytest.raises(InvoiceError, match="not on this invoice"):
        services.invoice_delete_payment(invoice=one, actor=None, payment_id=payment.pk)
    assert InvoicePayment.objects.filter(pk=payment.pk).exists()


def test_void_only_without_payments(make_invoice):
    invoice = make_invoice(finalize=True)
    pay(invoice, 100)
    with pytest.raises(InvoiceError, match="voided only without payments"):
        services.invoice_void(invoice=invoice, actor=None)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID
    clean = services.invoice_void(invoice=make_invoice(finalize=True), actor=None, reason="typo")
    assert clean.status == InvoiceStatus.VOID and clean.voided_at is not None
    assert clean.events.get(kind="voided").detail == "typo"
    with pytest.raises(InvoiceError, match="draft has no number"):
        services.invoice_void(invoice=make_invoice(), actor=None)


def test_uncollectible_and_void_invoices_take_no_payment_online_or_by_hand(make_invoice):
    invoice = services.invoice_mark_uncollectible(invoice=make_invoice(finalize=True), actor=None)
    assert invoice.status == InvoiceStatus.UNCOLLECTIBLE
    assert selectors.invoice_payable_amount(invoice) == 0
    assert "can no longer be paid online" in selectors.invoice_pay_refusal(invoice)
    with pytest.raises(InvoiceError, match="marked uncollectible, so it takes no more payments"):
        pay(invoice, 1_000)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.UNCOLLECTIBLE and invoice.amount_paid == 0
    assert not invoice.payments.exists() and not invoice.events.filter(kind="payment").exists()
    with pytest.raises(InvoiceError, match="cannot be marked uncollectible"):
        services.invoice_mark_uncollectible(invoice=invoice, actor=None)
    void = services.invoice_void(invoice=make_invoice(finalize=True), actor=None)
    with pytest.raises(InvoiceError, match="is void: it cannot be paid"):
        pay(void, 1_000)
    assert not void.payments.exists()


def test_pay_refusal_and_payable_amount_per_status(make_invoice):
    draft = make_invoice()
    assert selectors.invoice_pay_refusal(draft) == (
        "This invoice is not finalized yet, so it cannot be paid."
    )
    assert selectors.invoice_payable_amount(draft) == 0
    invoice = make_invoice(finalize=True)
    assert selectors.invoice_pay_refusal(invoice) is None
    assert selectors.invoice_payable_amount(invoice) == 11_000
    pay(invoice, 1_000)
    invoice.refresh_from_db()
    assert selectors.invoice_payable_amount(invoice) == 10_000
    pay(invoice, 10_000)
    invoice.refresh_from_db()
    assert selectors.invoice_pay_refusal(invoice).endswith("is already paid. Thank you!")
    void = services.invoice_void(invoice=make_invoice(finalize=True), actor=None)
    assert "was voided" in selectors.invoice_pay_refusal(void)
    assert selectors.invoice_payable_amount(void) == 0


def test_online_payment_is_recorded_once_and_notifies_the_portal(
    make_invoice, portal, super_admin, django_capture_on_commit_callbacks
):
    invoice = make_invoice(finalize=True)
    payment = card_payment(portal, 11_000)
    with django_capture_on_commit_callbacks(execute=True):
        paid = services.invoice_record_online_payment(
            invoice_id=invoice.pk, payment=payment, amount=11_000
        )
        again = services.invoice_record_online_payment(
            invoice_id=invoice.pk, payment=payment, amount=11_000
        )
    assert paid.status == again.status == InvoiceStatus.PAID
    row = InvoicePayment.objects.get()
    assert (row.method, row.amount, row.payment, row.reference) == (
        "card",
        11_000,
        payment,
        "pi_invoice_1",
    )
    assert [m.to for m in mail.outbox] == [[super_admin.email]]
    assert "$110.00" in mail.outbox[0].subject
    assert InvoiceEvent.objects.filter(invoice=invoice, kind="paid").count() == 1


def test_partial_online_payment_leaves_the_rest_due(make_invoice, portal):
    invoice = make_invoice(finalize=True)
    invoice = services.invoice_record_online_payment(
        invoice_id=invoice.pk, payment=card_payment(portal, 3_000), amount=3_000
    )
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID and invoice.amount_due == 8_000
    with pytest.raises(InvoiceError, match="card payment cannot be deleted"):
        services.invoice_delete_payment(
            invoice=invoice, actor=None, payment_id=InvoicePayment.objects.get().pk
        )


def test_online_payment_of_a_void_invoice_is_refused(make_invoice, portal):
    void = services.invoice_void(invoice=make_invoice(finalize=True), actor=None)
    with pytest.raises(InvoiceError, match="is void"):
        services.invoice_record_online_payment(
            invoice_id=void.pk, payment=card_payment(portal, 11_000), amount=11_000
        )
    assert not InvoicePayment.objects.exists()


def test_duplicate_is_a_new_draft_with_the_same_lines(make_invoice):
    source = make_invoice(finalize=True, memo="PO 123")
    copy = services.invoice_duplicate(invoice=source, actor=None)
    assert copy.status == InvoiceStatus.DRAFT and copy.number is None
    assert copy.duplicated_from == source and copy.memo == "PO 123"
    assert [(x.name, x.unit_amount) for x in copy.lines.all()] == [("Consulting", 10_000)]
    assert copy.total == source.total


def test_an_accepted_quote_converts_once_with_its_discount_folded_in(portal, sales_rep):
    contact = ContactFactory(portal=portal)
    quote = quote_services.quote_create(
        portal=portal,
        actor=None,
        title="Redesign",
        contact=contact,
        expires_on=quote_services.default_expiry(portal=portal),
        lines=[
            line(name="Design", unit_amount=30_000),
            line(name="Hosting", unit_amount=10_000, billing_frequency="monthly"),
        ],
        discount_amount=4_000,
    )
    with pytest.raises(InvoiceError, match="only an accepted or paid quote"):
        services.invoice_create_from_quote(quote=quote, actor=None)
    quote_services.quote_publish(quote=quote, actor=None)
    quote = quote_services.quote_accept(
        quote=quote, signed_name="Bea Buyer", agreed_to_terms=True, ip=None, user_agent=""
    )
    assert quote.status == QuoteStatus.ACCEPTED
    invoice = services.invoice_create_from_quote(quote=quote, actor=sales_rep)
    assert invoice.source_quote == quote and invoice.contact == contact
    assert invoice.total == quote_services.quote_totals(quote).total == 36_000
    assert [(x.name, x.discount_amount, x.billing_frequency) for x in invoice.lines.all()] == [
        ("Design", 3_000, "one_time"),
        ("Hosting", 1_000, "one_time"),
    ]
    with pytest.raises(InvoiceError, match="already converted"):
        services.invoice_create_from_quote(quote=quote, actor=None)
    assert Invoice.objects.count() == 1


def test_sending_mails_the_contact_with_the_pdf_and_the_link(
    make_invoice, django_capture_on_commit_callbacks
):
    with pytest.raises(InvoiceError, match="Finalize the invoice before sending"):
        emails.invoice_send(invoice=make_invoice(), actor=None)
    invoice = make_invoice(finalize=True)
    with django_capture_on_commit_callbacks(execute=True):
        emails.invoice_send(invoice=invoice, actor=None, message="Thanks!")
        emails.invoice_send(invoice=invoice, actor=None)
    assert len(mail.outbox) == 2
    sent = mail.outbox[0]
    assert sent.to == ["buyer@client.test"]
    assert invoice.display_number in sent.subject and "$110.00" in sent.subject
    assert emails.public_url(invoice) in sent.body and "Thanks!" in sent.body
    assert sent.attachments[0][0] == f"{invoice.display_number}.pdf"
    assert sent.attachments[0][1].startswith(b"%PDF")
    html = sent.alternatives[0][0]
    assert emails.public_url(invoice) in html
    invoice.refresh_from_db()
    assert invoice.sent_at is not None
    details = list(invoice.events.filter(kind="sent").values_list("detail", flat=True))
    assert sorted(details) == ["Sent again to buyer@client.test", "Sent to buyer@client.test"]
