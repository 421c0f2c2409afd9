from django.apps import AppConfig
from django.urls import register_converter

from commerce.ids import TokenConverter


class CommerceConfig(AppConfig):
    name = "commerce"
    verbose_name = "Commerce Hub"

    def ready(self) -> None:
        # `<token:…>` in the public URLs: a malformed token is a 404 without a query.
        register_converter(TokenConverter, "token")
