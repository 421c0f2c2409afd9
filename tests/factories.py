"""Factories for the domain models (factory-boy). Tests build data here, never fixtures files."""

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from commerce.catalog.models import BillingFrequency, Product
from commerce.customers.models import Contact
from commerce.portals.models import Membership, Portal, User
from commerce.portals.permissions import Role

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


# --- Invoices (a draft with one line; tests finalize through invoices.services) ---


class InvoiceFactory(DjangoModelFactory):
    class Meta:
        model = "invoices.Invoice"

    portal = factory.SubFactory(PortalFactory)
    contact = factory.SubFactory(ContactFactory, portal=factory.SelfAttribute("..portal"))
    issue_date = factory.LazyFunction(dt.date.today)
    payment_terms = "net_30"
    due_date = factory.LazyAttribute(lambda o: o.issue_date + dt.timedelta(days=30))
    subtotal = 10_000
    total = 10_000


class InvoiceLineFactory(DjangoModelFactory):
    class Meta:
        model = "invoices.InvoiceLine"

    invoice = factory.SubFactory(InvoiceFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    quantity = 1
    unit_amount = 10_000
