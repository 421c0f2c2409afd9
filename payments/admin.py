from django.contrib import admin

from payments.models import (
    Checkout,
    FeeSyncState,
    Payment,
    PaymentLink,
    PaymentLinkLine,
    Refund,
    StripeAccount,
    StripeEvent,
)
from payments.payouts.models import Payout, PayoutLine, PayoutSyncState


@admin.register(StripeAccount)
class StripeAccountAdmin(admin.ModelAdmin):
    list_display = [
        "stripe_id",
        "portal",
        "status",
        "charges_enabled",
        "disconnected_at",
        "created_at",
    ]
    list_filter = ["status", "revoked"]
    search_fields = ["stripe_id", "portal__name"]
    readonly_fields = ["requirements"]


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["stripe_id", "type", "account", "portal", "created", "processed_at", "attempts"]
    list_filter = ["type", "source"]
    search_fields = ["stripe_id", "account"]
    readonly_fields = ["payload"]


@admin.register(Checkout)
class CheckoutAdmin(admin.ModelAdmin):
    list_display = ["public_id", "portal", "source", "status", "amount", "email", "created_at"]
    list_filter = ["status", "source"]
    search_fields = ["email", "payment_intent_id"]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["payment_intent_id", "portal", "amount", "status", "source", "created_at"]
    list_filter = ["status", "source"]
    search_fields = ["payment_intent_id", "charge_id"]


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ["stripe_id", "payment", "amount", "status", "created_at"]
    list_filter = ["status"]


class PaymentLinkLineInline(admin.TabularInline):
    model = PaymentLinkLine
    extra = 0
    raw_id_fields = ["product"]


@admin.register(PaymentLink)
class PaymentLinkAdmin(admin.ModelAdmin):
    list_display = ["name", "portal", "active", "single_use", "max_payments", "expires_at"]
    list_filter = ["active", "single_use"]
    search_fields = ["name", "slug"]
    readonly_fields = ["slug"]
    inlines = [PaymentLinkLineInline]


@admin.register(PaymentLinkLine)
class PaymentLinkLineAdmin(admin.ModelAdmin):
    list_display = ["link", "name", "quantity", "unit_amount", "billing_frequency"]
    raw_id_fields = ["link", "product"]


@admin.register(FeeSyncState)
class FeeSyncStateAdmin(admin.ModelAdmin):
    list_display = ["account", "last_success_at", "pages", "applied", "last_error_at"]
    search_fields = ["account__stripe_id", "account__portal__name"]
    raw_id_fields = ["account"]


class PayoutLineInline(admin.TabularInline):
    model = PayoutLine
    extra = 0
    raw_id_fields = ["payment", "refund"]
    readonly_fields = ["balance_transaction_id", "type", "kind", "amount", "fee", "net"]


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
    list_display = ["stripe_id", "portal", "status", "amount", "arrival_date", "unknown_lines"]
    list_filter = ["status"]
    search_fields = ["stripe_id", "portal__name"]
    raw_id_fields = ["account"]
    inlines = [PayoutLineInline]


@admin.register(PayoutLine)
class PayoutLineAdmin(admin.ModelAdmin):
    list_display = ["balance_transaction_id", "payout", "kind", "amount", "fee", "net", "known"]
    list_filter = ["kind", "known"]
    search_fields = ["balance_transaction_id", "source_id"]
    raw_id_fields = ["payout", "payment", "refund"]


@admin.register(PayoutSyncState)
class PayoutSyncStateAdmin(admin.ModelAdmin):
    list_display = ["account", "last_success_at", "running_since", "last_error"]
    raw_id_fields = ["account"]
