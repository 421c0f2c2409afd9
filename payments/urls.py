from django.urls import path

from commerce.views import section_placeholder

app_name = "payments"

urlpatterns = [
    path("", section_placeholder("payments", "payments.view"), name="index"),
]
