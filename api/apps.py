from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    label = "api"
    verbose_name = "Public REST API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from api.errors import refusal
        from api.settings_cards import api_keys_card
        from commerce.middleware import register_refusal
        from commerce.portals.settings_cards import register_settings_card

        register_settings_card("api_keys", api_keys_card)
        # A NUL under /api/ is refused in the API's one error shape, not the hub's page.
        register_refusal("/api/", refusal)
