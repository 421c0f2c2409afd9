from django.apps import AppConfig


class AccountingConfig(AppConfig):
    name = "accounting"
    verbose_name = "Accounting"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounting.settings_cards import accounting_card
        from commerce.portals.settings_cards import register_settings_card

        register_settings_card("accounting", accounting_card)
