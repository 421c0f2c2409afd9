"""The buyer's invoice pages: public, resolved by the unguessable token only."""

from django.urls import path

from . import public_views

app_name = "invoices_public"

urlpatterns = [
    path("<str:token>/", public_views.public_invoice, name="invoice"),
    path("<str:token>/pdf/", public_views.public_invoice_pdf, name="pdf"),
    path("<str:token>/pay/", public_views.public_invoice_pay, name="pay"),
]
