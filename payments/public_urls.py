"""Buyer-facing pages (no login): hosted checkout for payment links."""

app_name = "public"

urlpatterns: list = []
