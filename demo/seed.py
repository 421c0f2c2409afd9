"""The demo portal of `make dev`: users of every role, products and contacts.

Idempotent: a second run finds the portal and creates nothing."""

from django.db.models import Q

from commerce.catalog.models import BillingFrequency as F
from commerce.catalog.models import Product
from commerce.customers.models import Contact
from commerce.portals.models import Membership, Portal, User
from commerce.portals.permissions import Role
from commerce.portals.services import portal_create

DEMO_PORTAL = "Northwind Supply Co."
DEMO_PASSWORD = "commerce-demo"
USERS = [
    ("admin@example.com", "Avery Admin", Role.SUPER_ADMIN),
    ("billing@example.com", "Blake Billing", Role.BILLING_ADMIN),
    ("rep@example.com", "Riley Rep", Role.SALES_REP),
]
PRODUCTS = [
    (
        "Onboarding workshop",
        "SVC-ONBOARD",
        150000,
        40000,
        F.ONE_TIME,
        None,
        "Half-day remote workshop for your team.",
    ),
    (
        "Implementation package",
        "SVC-IMPL",
        480000,
        210000,
        F.ONE_TIME,
        None,
        "Data import, setup and two training sessions.",
    ),
    ("Starter plan", "PLAN-START", 4900, 900, F.MONTHLY, None, "Up to 5 seats. Email support."),
    (
        "Growth plan",
        "PLAN-GROWTH",
        14900,
        2600,
        F.MONTHLY,
        12,
        "Up to 25 seats. 12-month commitment.",
    ),
    (
        "Enterprise plan (annual)",
        "PLAN-ENT-Y",
        1200000,
        300000,
        F.YEARLY,
        None,
        "Unlimited seats, SSO and a named account manager.",
    ),
    (
        "Premium support",
        "SUP-PREM",
        29900,
        12000,
        F.QUARTERLY,
        4,
        "4-hour response time, quarterly review.",
    ),
    (
        "Hardware scanner",
        "HW-SCAN-01",
        34900,
        18000,
        F.ONE_TIME,
        None,
        "Bluetooth barcode scanner.",
    ),
    ("Extra seat", "SEAT-ADD", 1200, 150, F.MONTHLY, None, "One additional user seat."),
    (
        "Weekly data export",
        "DATA-WEEKLY",
        2500,
        400,
        F.WEEKLY,
        52,
        "Automated export to your warehouse.",
    ),
    ("Legacy add-on", "LEG-ADDON", 9900, 1000, F.ONE_TIME, None, "No longer sold."),
]
CONTACTS = [
    (
        "Maya",
        "Okafor",
        "maya@brightpath.io",
        "BrightPath Logistics",
        "+1 415 555 0101",
        "San Francisco",
        "CA",
        "94107",
    ),
    (
        "Daniel",
        "Reyes",
        "dan.reyes@harborline.com",
        "Harborline Foods",
        "+1 206 555 0144",
        "Seattle",
        "WA",
        "98101",
    ),
    (
        "Priya",
        "Natarajan",
        "priya@quillandco.com",
        "Quill & Co.",
        "+1 512 555 0188",
        "Austin",
        "TX",
        "78701",
    ),
    (
        "Tom",
        "Becker",
        "tbecker@ironvale.co",
        "Ironvale Manufacturing",
        "+1 312 555 0112",
        "Chicago",
        "IL",
        "60607",
    ),
    (
        "Sofia",
        "Lindqvist",
        "sofia@northstarclinics.org",
        "Northstar Clinics",
        "+1 617 555 0170",
        "Boston",
        "MA",
        "02110",
    ),
    (
        "James",
        "Whitaker",
        "james@peakoutfitters.com",
        "Peak Outfitters",
        "+1 303 555 0133",
        "Denver",
        "CO",
        "80202",
    ),
]


def demo_seed() -> bool:
    """Creates the demo portal, its users, products and contacts; False when it exists.

    The demo users are portal users, never Django staff: the Django admin reads every
    portal and is for the operator of the installation (`manage.py createsuperuser`),
    and these accounts' password is printed by `make dev`. A var/ seeded by an older
    version made the demo super admin a superuser; that is taken back here."""
    User.objects.filter(email__in=[email for email, _name, _role in USERS]).filter(
        Q(is_staff=True) | Q(is_superuser=True)
    ).update(is_staff=False, is_superuser=False)
    if Portal.objects.filter(name=DEMO_PORTAL).exists():
        return False
    users = {}
    for email, name, _role in USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD, name=name)
        users[email] = user
    admin_email = USERS[0][0]
    portal = portal_create(name=DEMO_PORTAL, owner=users[admin_email])
    portal.checkout_text = "Questions about your order? Write to billing@northwind.example."
    portal.support_email = "billing@northwind.example"
    portal.save(update_fields=["checkout_text", "support_email"])
    for email, _name, role in USERS[1:]:
        Membership.objects.create(portal=portal, user=users[email], role=role)
    for name, sku, price, cost, freq, term, desc in PRODUCTS:
        Product.objects.create(
            portal=portal,
            name=name,
            sku=sku,
            unit_price=price,
            unit_cost=cost,
            billing_frequency=freq,
            term_periods=term,
            description=desc,
            archived=sku.startswith("LEG-"),
        )
    for first, last, email, company, phone, city, state, zip_code in CONTACTS:
        Contact.objects.create(
            portal=portal,
            first_name=first,
            last_name=last,
            email=email,
            company=company,
            phone=phone,
            billing_line1="100 Market Street",
            billing_city=city,
            billing_state=state,
            billing_postal_code=zip_code,
            billing_country="US",
        )
    return True
