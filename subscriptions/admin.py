from django.contrib import admin

from .models import (
    BillingAttempt,
    BillingCycle,
    Subscription,
    SubscriptionEvent,
    SubscriptionItem,
    SubscriptionSettings,
)


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


class BillingAttemptInline(admin.TabularInline):
    model = BillingAttempt
    extra = 0
    fields = ["number", "status", "idempotency_key", "payment_intent_id", "decline_code"]
    readonly_fields = ["number", "status", "idempotency_key", "payment_intent_id", "decline_code"]


@admin.register(BillingCycle)
class BillingCycleAdmin(admin.ModelAdmin):
    list_display = ["subscription", "period", "status", "amount", "attempt_count", "next_retry_at"]
    list_filter = ["status"]
    raw_id_fields = ["subscription"]
    inlines = [BillingAttemptInline]


@admin.register(SubscriptionSettings)
class SubscriptionSettingsAdmin(admin.ModelAdmin):
    list_display = ["portal", "retry_attempts", "retry_window_days", "after_last_failure"]


@admin.register(SubscriptionEvent)
class SubscriptionEventAdmin(admin.ModelAdmin):
    list_display = ["subscription", "kind", "message", "created_at"]
    raw_id_fields = ["subscription", "actor"]


@admin.register(SubscriptionItem)
class SubscriptionItemAdmin(admin.ModelAdmin):
    list_display = ["subscription", "name", "sku", "quantity", "unit_amount", "amount"]
    raw_id_fields = ["subscription"]


@admin.register(BillingAttempt)
class BillingAttemptAdmin(admin.ModelAdmin):
    list_display = ["cycle", "number", "status", "payment_intent_id", "decline_code"]
    list_filter = ["status"]
    search_fields = ["payment_intent_id", "idempotency_key"]
    raw_id_fields = ["cycle"]
