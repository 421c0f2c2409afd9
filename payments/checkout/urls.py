"""Buyer-facing pages (no login): hosted checkout for payment links, the card step of
quotes and invoices, receipts."""

from django.urls import path

from payments.checkout import views

app_name = "public"

urlpatterns = [
    path("receipt/<uuid:public_id>/", views.receipt, name="receipt"),
    path(
        "checkout/<uuid:public_id>/",
        views.document_checkout_page,
        name="document_checkout",
    ),
    path(
        "checkout/<uuid:public_id>/return/",
        views.document_checkout_return,
        name="document_checkout_return",
    ),
    path("<token:slug>/", views.checkout_page, name="checkout"),
    path("<token:slug>/return/", views.checkout_return, name="checkout_return"),
]
