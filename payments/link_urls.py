from django.urls import path

from commerce.views import section_placeholder

app_name = "payment_links"

urlpatterns = [
    path("", section_placeholder("payment_links", "payment_links.view"), name="index"),
]
