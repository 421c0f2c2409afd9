from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("", views.index, name="index"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/connect/", views.connect, name="connect"),
    path("settings/return/", views.onboarding_return, name="onboarding_return"),
    path("settings/refresh/", views.onboarding_refresh, name="onboarding_refresh"),
    path("settings/continue/", views.onboarding_continue, name="onboarding_continue"),
    path("settings/disconnect/", views.disconnect, name="disconnect"),
    path("settings/guide/", views.guide, name="guide"),
    path("settings/events/", views.events, name="events"),
    path("settings/events/<int:pk>/retry/", views.event_retry, name="event_retry"),
]
