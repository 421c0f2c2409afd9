from django.urls import path

from . import public_views, views

app_name = "subscriptions"

urlpatterns = [
    path("", views.subscription_list, name="index"),
    path("new/", views.subscription_new, name="new"),
    path("<int:pk>/", views.subscription_detail, name="detail"),
    path("<int:pk>/change/", views.subscription_change, name="change"),
    path("<int:pk>/items/", views.subscription_items, name="items"),
    path("card/<str:token>/", public_views.card_update, name="card_update"),
    path("card/<str:token>/done/", public_views.card_update_done, name="card_update_done"),
]
