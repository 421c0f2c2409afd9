from django.urls import path

from . import views

app_name = "accounting"

urlpatterns = [
    path("", views.index, name="index"),
    path(
        "export/quickbooks-invoices",
        views.export_quickbooks_invoices,
        name="export_quickbooks_invoices",
    ),
    path(
        "export/quickbooks-payments",
        views.export_quickbooks_payments,
        name="export_quickbooks_payments",
    ),
    path("export/xero-invoices", views.export_xero_invoices, name="export_xero_invoices"),
]
