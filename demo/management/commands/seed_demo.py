"""Seeds a demo portal for `make dev`: users of every role, products, contacts and invoices.

Idempotent: run it again and it only prints the login details.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from commerce.portals.models import Portal
from commerce.portals.permissions import Role
from demo.invoices import demo_seed_invoices
from demo.seed import DEMO_PASSWORD, DEMO_PORTAL, USERS, demo_seed


class Command(BaseCommand):
    help = "Create the demo portal, its users, products and contacts (idempotent)."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            created = demo_seed()
            demo_seed_invoices(Portal.objects.get(name=DEMO_PORTAL))
        line = "-" * 60
        self.stdout.write(line)
        self.stdout.write(
            ("Seeded" if created else "Demo portal already present:") + f" {DEMO_PORTAL}"
        )
        for email, _name, role in USERS:
            self.stdout.write(f"  {Role(role).label:<14} {email:<22} password: {DEMO_PASSWORD}")
        self.stdout.write(line)
