from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "commerce.customers"
    label = "customers"
    verbose_name = "Contacts"

    def ready(self) -> None:
        from commerce.customers.events import contact_snapshot
        from commerce.customers.models import Contact
        from commerce.events.services import register_snapshot

        # contact.created|updated carry this snapshot (commerce/events/).
        register_snapshot(Contact, contact_snapshot, object_type="contact")
