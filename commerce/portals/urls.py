from django.urls import path

from . import settings_views as views
from .views import InviteAcceptView

app_name = "settings"

urlpatterns = [
    path("", views.settings_index, name="index"),
    path("portal/", views.portal_settings, name="portal"),
    path("portal/logo/", views.portal_logo_upload, name="logo_upload"),
    path("portal/logo/remove/", views.portal_logo_remove, name="logo_remove"),
    path("team/", views.team, name="team"),
    path("team/invite/", views.team_invite, name="invite"),
    path("team/<int:pk>/role/", views.member_role, name="member_role"),
    path("team/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("team/<int:pk>/resend/", views.member_resend, name="member_resend"),
    path("logo/<uuid:public_id>", views.portal_logo, name="logo"),
    path(
        "invite/<uuid:portal_id>/<uidb64>/<token>/",
        InviteAcceptView.as_view(),
        name="invite_accept",
    ),
]
