from django.urls import path

from . import fee_views, payment_views, views

app_name = "payments"

urlpatterns = [
    path("", payment_views.payment_list, name="index"),
    path("<int:pk>/", payment_views.payment_detail, name="detail"),
    path("<int:pk>/refund/", payment_views.payment_refund, name="refund"),
    path("<int:pk>/repair-fees/", fee_views.payment_fee_repair, name="fee_repair_payment"),
    path("fees/", fee_views.fee_health, name="fee_health"),
    path("fees/sync/", fee_views.fee_sync_now, name="fee_sync_now"),
    path("fees/repair/", fee_views.fee_repair, name="fee_repair"),
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
