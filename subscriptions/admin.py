from django.contrib import admin

from .models import Subscription, SubscriptionItem


class SubscriptionItemInline(admin.TabularInline):
    model = SubscriptionItem
    extra = 0
    readonly_fields = ["name", "sku", "quantity", "unit_amount", "amount"]
    fields = ["name", "sku", "quantity", "unit_amount", "amount"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = [
        "contact",
        "portal",
        "status",
        "billing_frequency",
        "amount",
        "next_billing_date",
        "periods_billed",
    ]
    list_filter = ["status", "billing_frequency"]
    search_fields = ["contact__email", "stripe_customer_id"]
    raw_id_fields = ["contact", "source_checkout"]
    inlines = [SubscriptionItemInline]
