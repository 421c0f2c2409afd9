from django.urls import path

from . import views

app_name = "accounting_settings"

urlpatterns = [
    path("", views.accounting_settings, name="edit"),
]
