from django.urls import path

from . import payment_views, views

app_name = "payments"

urlpatterns = [
    path("", payment_views.payment_list, name="index"),
    path("<int:pk>/", payment_views.payment_detail, name="detail"),
    path("<int:pk>/refund/", payment_views.payment_refund, name="refund"),
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
