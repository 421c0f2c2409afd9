"""Adds the demo invoices to the demo portal: `manage.py seed_demo_invoices`."""

from django.core.management.base import BaseCommand
from django.db import transaction

from commerce.portals.models import Portal
from demo.invoices import demo_seed_invoices
from demo.seed import DEMO_PORTAL


class Command(BaseCommand):
    help = "Add the demo invoices to the demo portal (idempotent)."

    def handle(self, *args, **options) -> None:
        portal = Portal.objects.filter(name=DEMO_PORTAL).first()
        if portal is None:
            self.stdout.write("No demo portal: run seed_demo first.")
            return
        with transaction.atomic():
            count = demo_seed_invoices(portal)
        self.stdout.write(f"{count} demo invoices added to {portal.name}.")
