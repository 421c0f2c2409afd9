from django.urls import path

from commerce.views import section_placeholder

app_name = "reports"

urlpatterns = [
    path("", section_placeholder("reports", "reports.view"), name="index"),
]
