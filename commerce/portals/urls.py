from django.urls import path

from . import settings_views as views

app_name = "settings"

urlpatterns = [
    path("", views.settings_index, name="index"),
    path("logo/<uuid:public_id>", views.portal_logo, name="logo"),
]
