from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "commerce.events"
    label = "events"
    verbose_name = "Events and outbound webhooks"

    def ready(self) -> None:
        from commerce.events.settings_cards import webhooks_card
        from commerce.portals.settings_cards import register_settings_card

        register_settings_card("outbound_webhooks", webhooks_card)
