"""The buyer's invoice pages: public, resolved by the unguessable token only."""

from django.urls import path

from . import public_views

app_name = "invoices_public"

urlpatterns = [
    path("<token:token>/", public_views.public_invoice, name="invoice"),
    path("<token:token>/pdf/", public_views.public_invoice_pdf, name="pdf"),
    path("<token:token>/pay/", public_views.public_invoice_pay, name="pay"),
]
