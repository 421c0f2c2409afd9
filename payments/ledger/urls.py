from django.urls import path

from payments.ledger import views

urlpatterns = [
    path("", views.payment_list, name="index"),
    path("<int:pk>/", views.payment_detail, name="detail"),
    path("<int:pk>/refund/", views.payment_refund, name="refund"),
]
