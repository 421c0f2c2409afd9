from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from api import views as api_views
from api.v1 import urls as api_v1_urls
from commerce import views
from commerce.portals import views as portal_views
from payments.webhooks import views as webhook_views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("ping", views.ping, name="ping"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("login/", portal_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", portal_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("portal/switch/", portal_views.portal_switch, name="portal_switch"),
    path("settings/webhooks/", include("commerce.events.urls")),
    path("settings/api-keys/", include("api.urls")),
    path("settings/accounting/", include("accounting.settings_urls")),
    path("settings/developers/", api_views.developers, name="developers"),
    path("api/v1/", api_v1_urls()),
    re_path(r"^api/v1/", api_views.unknown_path),
    path("api/docs", api_views.docs, name="api_docs"),
    path("settings/", include("commerce.portals.urls")),
    path("products/", include("commerce.catalog.urls")),
    path("contacts/", include("commerce.customers.urls")),
    path("payments/", include("payments.urls")),
    path("webhooks/stripe/", webhook_views.stripe_webhook, name="stripe_webhook"),
    path("pay/", include("payments.checkout.urls")),
    path("payment-links/", include("payments.links.urls")),
    path("subscriptions/", include("subscriptions.urls")),
    path("quotes/", include("quotes.urls")),
    path("invoices/", include("invoices.urls")),
    path("invoice/", include("invoices.public_urls")),
    path("reports/", include("reports.urls")),
    path("accounting/", include("accounting.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "commerce.views.not_found"
handler500 = "commerce.views.server_error"
handler403 = "commerce.views.forbidden"
