from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "commerce.catalog"
    label = "catalog"
    verbose_name = "Product library"

    def ready(self) -> None:
        from commerce.catalog.events import product_snapshot
        from commerce.catalog.models import Product
        from commerce.events.services import register_snapshot

        # product.created|updated|archived carry this snapshot (commerce/events/).
        register_snapshot(Product, product_snapshot, object_type="product")
