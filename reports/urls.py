from django.urls import path

from reports import views as report_views

app_name = "reports"

urlpatterns = [
    path("", report_views.index, name="index"),
]
