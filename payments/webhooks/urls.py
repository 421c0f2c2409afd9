from django.urls import path

from payments.webhooks import views

urlpatterns = [
    path("settings/events/", views.events, name="events"),
    path("settings/events/<int:pk>/retry/", views.event_retry, name="event_retry"),
]
