from django.urls import path

from payments.connect import views

urlpatterns = [
    path("settings/", views.settings_page, name="settings"),
    path("settings/connect/", views.connect, name="connect"),
    path("settings/return/", views.onboarding_return, name="onboarding_return"),
    path("settings/refresh/", views.onboarding_refresh, name="onboarding_refresh"),
    path("settings/continue/", views.onboarding_continue, name="onboarding_continue"),
    path("settings/disconnect/", views.disconnect, name="disconnect"),
    path("settings/guide/", views.guide, name="guide"),
]
