from django.urls import path

from payments.links import views as link_views

app_name = "payment_links"

urlpatterns = [
    path("", link_views.link_list, name="index"),
    path("new/", link_views.link_create, name="create"),
    path("<int:pk>/", link_views.link_detail, name="detail"),
    path("<int:pk>/edit/", link_views.link_edit, name="edit"),
    path("<int:pk>/deactivate/", link_views.link_deactivate, name="deactivate"),
    path("<int:pk>/reactivate/", link_views.link_reactivate, name="reactivate"),
]
