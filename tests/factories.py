"""Factories for the domain models (factory-boy). Tests build data here, never fixtures files."""

import datetime as dt

import factory
from django.db.models import F
from django.utils import timezone
from factory.django import DjangoModelFactory

from commerce.catalog.models import BillingFrequency, Product
from commerce.customers.models import Contact
from commerce.portals.models import Membership, Portal, User
from commerce.portals.permissions import Role
from invoices.models import Invoice, InvoiceLine, InvoiceStatus
from payments.connect.status import AccountStatus
from payments.models import Checkout, Payment, StripeAccount
from quotes.models import Quote, QuoteLine, QuoteSettings, QuoteStatus
from subscriptions.models import Subscription, SubscriptionItem
from subscriptions.services import period_start

PASSWORD = "correct-horse-battery"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PortalFactory(DjangoModelFactory):
    class Meta:
        model = Portal

    name = factory.Sequence(lambda n: f"Portal {n}")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    portal = factory.SubFactory(PortalFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.SALES_REP


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    portal = factory.SubFactory(PortalFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    unit_price = 10_000
    unit_cost = 2_500
    billing_frequency = BillingFrequency.ONE_TIME
    term_periods = None


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    portal = factory.SubFactory(PortalFactory)
    email = factory.Sequence(lambda n: f"buyer{n}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    company = factory.Faker("company")


# --- Documents: quotes and invoices --------------------------------------------------
#
# Rows as the services leave them, for tests about what reads them (lists, pages, access,
# reports). Tests about the documents' own rules make them through quotes.services and
# invoices.services instead.


def _next_number(settings_model, portal) -> int:
    """The portal's next document number, taken from its settings row as the services
    take it, so a document made here never collides with one the services number."""
    kind_settings, _ = settings_model.objects.get_or_create(portal=portal)
    settings_model.objects.filter(pk=kind_settings.pk).update(last_number=F("last_number") + 1)
    kind_settings.refresh_from_db(fields=["last_number"])
    return kind_settings.last_number


class QuoteLineFactory(DjangoModelFactory):
    class Meta:
        model = QuoteLine

    quote = factory.SubFactory("tests.factories.QuoteFactory", line=None)
    position = factory.Sequence(lambda n: n)
    name = factory.Sequence(lambda n: f"Service {n}")
    quantity = 1
    unit_amount = 10_000


class QuoteFactory(DjangoModelFactory):
    """A draft quote to a contact of its portal with one $100.00 line (`line=None`: none)."""

    class Meta:
        model = Quote
        skip_postgeneration_save = True

    portal = factory.SubFactory(PortalFactory)
    number = factory.LazyAttribute(lambda o: _next_number(QuoteSettings, o.portal))
    title = "Website redesign"
    contact = factory.SubFactory(ContactFactory, portal=factory.SelfAttribute("..portal"))
    status = QuoteStatus.DRAFT
    expires_on = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=30))
    line = factory.RelatedFactory(QuoteLineFactory, factory_related_name="quote")


class InvoiceLineFactory(DjangoModelFactory):
    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory("tests.factories.InvoiceFactory", line=None)
    position = factory.Sequence(lambda n: n)
    name = factory.Sequence(lambda n: f"Service {n}")
    quantity = 1
    unit_amount = 10_000


class InvoiceFactory(DjangoModelFactory):
    """A draft invoice, net 30, with one $100.00 line and its stored totals (`line=None`:
    no line). Tests finalize through invoices.services."""

    class Meta:
        model = Invoice
        skip_postgeneration_save = True

    portal = factory.SubFactory(PortalFactory)
    contact = factory.SubFactory(ContactFactory, portal=factory.SelfAttribute("..portal"))
    status = InvoiceStatus.DRAFT
    issue_date = factory.LazyFunction(dt.date.today)
    payment_terms = "net_30"
    due_date = factory.LazyAttribute(lambda o: o.issue_date + dt.timedelta(days=30))
    subtotal = 10_000
    total = 10_000
    line = factory.RelatedFactory(InvoiceLineFactory, factory_related_name="invoice")


# --- Payments: Stripe accounts, checkouts and payments ---------------------------------


class StripeAccountFactory(DjangoModelFactory):
    """A connected account row that is Ready to transact (no account in fakestripe: see
    tests/payments/support.py `fakestripe_account` for one that exists there)."""

    class Meta:
        model = StripeAccount

    portal = factory.SubFactory(PortalFactory)
    stripe_id = factory.Sequence(lambda n: f"acct_test{n}")
    status = AccountStatus.READY
    charges_enabled = True
    payouts_enabled = True
    details_submitted = True


class CheckoutFactory(DjangoModelFactory):
    """An open checkout of a payment link whose frozen order is one line of `amount`."""

    class Meta:
        model = Checkout

    portal = factory.SubFactory(PortalFactory)
    source = "payment_link"
    status = Checkout.Status.OPEN
    amount = 10_000
    order = factory.LazyAttribute(
        lambda o: {
            "lines": [
                {
                    "name": "Service",
                    "sku": "",
                    "quantity": 1,
                    "unit_amount": o.amount,
                    "total": o.amount,
                }
            ],
            "total": o.amount,
            "currency": "usd",
        }
    )


class PaymentFactory(DjangoModelFactory):
    """A succeeded card payment of a payment link, as the hub records it (the row only:
    no charge in fakestripe). `account=` sets the connected account it was paid to."""

    class Meta:
        model = Payment

    class Params:
        account = None

    portal = factory.SubFactory(PortalFactory)
    source = Payment.Source.PAYMENT_LINK
    status = Payment.Status.SUCCEEDED
    amount = 5_000
    card_brand = "visa"
    card_last4 = "4242"
    stripe_account_id = factory.LazyAttribute(
        lambda o: o.account.stripe_id if o.account else "acct_rowonly"
    )
    payment_intent_id = factory.Sequence(lambda n: f"pi_row{n:05d}")
    charge_id = factory.Sequence(lambda n: f"ch_row{n:05d}")
    paid_at = factory.LazyFunction(timezone.now)


# --- Subscriptions ---------------------------------------------------------------------


class SubscriptionItemFactory(DjangoModelFactory):
    class Meta:
        model = SubscriptionItem

    subscription = factory.SubFactory("tests.factories.SubscriptionFactory", item=None)
    portal = factory.SelfAttribute("subscription.portal")
    position = factory.Sequence(lambda n: n)
    name = "Growth plan"
    quantity = 1
    unit_amount = factory.LazyAttribute(lambda o: o.subscription.amount // o.quantity)
    amount = factory.LazyAttribute(lambda o: o.quantity * o.unit_amount)


class SubscriptionFactory(DjangoModelFactory):
    """An active $50.00/month subscription for 12 months, its first period paid (as a
    checkout leaves it), with one item of the same amount (`item=None`: no item)."""

    class Meta:
        model = Subscription
        skip_postgeneration_save = True

    portal = factory.SubFactory(PortalFactory)
    contact = factory.SubFactory(ContactFactory, portal=factory.SelfAttribute("..portal"))
    status = Subscription.Status.ACTIVE
    billing_frequency = "monthly"
    term_periods = 12
    amount = 5_000
    start_date = factory.LazyFunction(dt.date.today)
    periods_billed = 1
    next_billing_date = factory.LazyAttribute(
        lambda o: period_start(o.start_date, o.billing_frequency, o.periods_billed)
    )
    stripe_account_id = "acct_test"
    stripe_customer_id = factory.Sequence(lambda n: f"cus_test{n}")
    payment_method_id = "pm_card_visa"
    item = factory.RelatedFactory(SubscriptionItemFactory, factory_related_name="subscription")
