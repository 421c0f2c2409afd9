from django.contrib import admin

from .models import Quote, QuoteEvent, QuoteLine, QuoteNotice, QuoteSettings


class QuoteLineInline(admin.TabularInline):
    model = QuoteLine
    extra = 0


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = ("display_number", "title", "portal", "status", "expires_on", "created_at")
    list_filter = ("status",)
    search_fields = ("title", "contact__email")
    raw_id_fields = ("contact", "owner", "payment", "cloned_from")
    inlines = [QuoteLineInline]


admin.site.register(QuoteEvent)
admin.site.register(QuoteNotice)
admin.site.register(QuoteSettings)


@admin.register(QuoteLine)
class QuoteLineAdmin(admin.ModelAdmin):
    list_display = ("quote", "name", "quantity", "unit_amount", "billing_frequency")
    raw_id_fields = ("quote", "product")
