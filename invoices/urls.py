from django.urls import path

from . import views

app_name = "invoices"

urlpatterns = [
    path("", views.invoice_list, name="index"),
    path("new/", views.invoice_create, name="create"),
    path("preview/", views.invoice_preview, name="preview"),
    path("settings/", views.invoice_settings, name="settings"),
    path("export/invoices.csv", views.export_invoices, name="export"),
    path("export/payments.csv", views.export_payments, name="export_payments"),
    path("from-quote/<int:quote_pk>/", views.invoice_from_quote, name="from_quote"),
    path("<int:pk>/", views.invoice_detail, name="detail"),
    path("<int:pk>/edit/", views.invoice_edit, name="edit"),
    path("<int:pk>/finalize/", views.invoice_finalize, name="finalize"),
    path("<int:pk>/send/", views.invoice_send, name="send"),
    path("<int:pk>/duplicate/", views.invoice_duplicate, name="duplicate"),
    path("<int:pk>/void/", views.invoice_void, name="void"),
    path("<int:pk>/uncollectible/", views.invoice_uncollectible, name="uncollectible"),
    path("<int:pk>/pdf/", views.invoice_pdf, name="pdf"),
    path("<int:pk>/payments/", views.payment_record, name="payment_record"),
    path(
        "<int:pk>/payments/<int:payment_pk>/delete/",
        views.payment_delete,
        name="payment_delete",
    ),
]
