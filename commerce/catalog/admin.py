from django.contrib import admin

from .models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "sku", "portal", "unit_price", "billing_frequency", "archived"]
    list_filter = ["billing_frequency", "archived", "portal"]
    search_fields = ["name", "sku"]
