from django.urls import path

from commerce.views import section_placeholder

app_name = "invoices"

urlpatterns = [
    path("", section_placeholder("invoices", "invoices.view"), name="index"),
]
