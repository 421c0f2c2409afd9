"""Buyer-facing pages (no login): hosted checkout for payment links, the card step of
quotes and invoices, receipts."""

from django.urls import path

from . import checkout_views, document_views

app_name = "public"

urlpatterns = [
    path("receipt/<uuid:public_id>/", checkout_views.receipt, name="receipt"),
    path(
        "checkout/<uuid:public_id>/",
        document_views.document_checkout_page,
        name="document_checkout",
    ),
    path(
        "checkout/<uuid:public_id>/return/",
        document_views.document_checkout_return,
        name="document_checkout_return",
    ),
    path("<str:slug>/", checkout_views.checkout_page, name="checkout"),
    path("<str:slug>/return/", checkout_views.checkout_return, name="checkout_return"),
]
