from django.apps import AppConfig


class PortalsConfig(AppConfig):
    name = "commerce.portals"
    label = "portals"
    verbose_name = "Portals"
