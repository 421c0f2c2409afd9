from django.contrib import admin

from .models import Contact


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["email", "first_name", "last_name", "company", "portal", "created_at"]
    list_filter = ["portal"]
    search_fields = ["email", "first_name", "last_name", "company"]
