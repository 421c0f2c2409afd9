from django.urls import path

from commerce.views import section_placeholder

app_name = "customers"

urlpatterns = [
    path("", section_placeholder("quotes", "dashboard.view"), name="list"),
    path("new/", section_placeholder("quotes", "dashboard.view"), name="create"),
    path("<int:pk>/", section_placeholder("quotes", "dashboard.view"), name="detail"),
]
