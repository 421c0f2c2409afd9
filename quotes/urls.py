from django.urls import path

from . import views

app_name = "quotes"

urlpatterns = [
    path("", views.quote_list, name="index"),
    path("new/", views.quote_create, name="create"),
    path("preview/", views.quote_preview, name="preview"),
    path("settings/", views.quote_settings, name="settings"),
    path("<int:pk>/", views.quote_detail, name="detail"),
    path("<int:pk>/edit/", views.quote_edit, name="edit"),
    path("<int:pk>/publish/", views.quote_publish, name="publish"),
    path("<int:pk>/revert/", views.quote_revert, name="revert"),
    path("<int:pk>/clone/", views.quote_clone, name="clone"),
    path("<int:pk>/send/", views.quote_send, name="send"),
    path("<int:pk>/pdf/", views.quote_pdf, name="pdf"),
    path("notices/<int:pk>/dismiss/", views.notice_dismiss, name="notice_dismiss"),
    # The buyer's pages: public, resolved by the unguessable token only.
    path("p/<token:token>/", views.public_quote, name="public"),
    path("p/<token:token>/pdf/", views.public_quote_pdf, name="public_pdf"),
    path("p/<token:token>/accept/", views.public_quote_accept, name="public_accept"),
    path("p/<token:token>/pay/", views.public_quote_pay, name="public_pay"),
    path("p/<token:token>/decline/", views.public_quote_decline, name="public_decline"),
]
