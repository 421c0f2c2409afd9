from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("new/", views.endpoint_create, name="create"),
    path("docs/", views.docs, name="docs"),
    path("<int:pk>/", views.endpoint_detail, name="detail"),
    path("<int:pk>/edit/", views.endpoint_edit, name="edit"),
    path("<int:pk>/roll-secret/", views.endpoint_roll_secret, name="roll_secret"),
    path("<int:pk>/enabled/", views.endpoint_toggle, name="toggle"),
    path("<int:pk>/delete/", views.endpoint_delete, name="delete"),
    path("<int:pk>/test/", views.endpoint_send_test, name="test"),
    path("<int:pk>/replay/", views.endpoint_replay, name="replay"),
    path("<int:pk>/deliveries/<int:delivery_pk>/", views.delivery_detail, name="delivery"),
    path(
        "<int:pk>/deliveries/<int:delivery_pk>/resend/",
        views.delivery_resend,
        name="delivery_resend",
    ),
]
