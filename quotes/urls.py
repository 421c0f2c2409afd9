from django.urls import path

from commerce.views import section_placeholder

app_name = "quotes"

urlpatterns = [
    path("", section_placeholder("quotes", "quotes.view"), name="index"),
]
