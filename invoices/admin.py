from django.contrib import admin

from .models import (
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoicePayment,
    InvoiceReminder,
    InvoiceSettings,
)


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0


class InvoicePaymentInline(admin.TabularInline):
    model = InvoicePayment
    extra = 0
    raw_id_fields = ("payment", "recorded_by")


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ("display_number", "portal", "contact", "status", "total", "due_date")
    list_filter = ("status",)
    search_fields = ("number", "contact__email")
    raw_id_fields = ("contact", "created_by", "source_quote", "duplicated_from")
    inlines = [InvoiceLineInline, InvoicePaymentInline]


@admin.register(InvoicePayment)
class InvoicePaymentAdmin(admin.ModelAdmin):
    list_display = ("invoice", "method", "amount", "paid_on", "reference")
    list_filter = ("method",)
    raw_id_fields = ("invoice", "payment", "recorded_by")


admin.site.register(InvoiceEvent)
admin.site.register(InvoiceReminder)
admin.site.register(InvoiceSettings)


@admin.register(InvoiceLine)
class InvoiceLineAdmin(admin.ModelAdmin):
    list_display = ("name", "invoice", "quantity", "unit_amount")
    raw_id_fields = ("invoice", "product")
