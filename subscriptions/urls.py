from django.urls import path

from commerce.views import section_placeholder

app_name = "subscriptions"

urlpatterns = [
    path("", section_placeholder("subscriptions", "subscriptions.view"), name="index"),
]
