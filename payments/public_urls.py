"""Buyer-facing pages (no login): hosted checkout for payment links."""

from django.urls import path

from . import checkout_views

app_name = "public"

urlpatterns = [
    path("receipt/<uuid:public_id>/", checkout_views.receipt, name="receipt"),
    path("<str:slug>/", checkout_views.checkout_page, name="checkout"),
    path("<str:slug>/return/", checkout_views.checkout_return, name="checkout_return"),
]
