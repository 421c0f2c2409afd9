from django.urls import path

from payments.payouts import views

urlpatterns = [
    path("payouts/", views.payout_list, name="payouts"),
    path("payouts/<int:pk>/", views.payout_detail, name="payout_detail"),
]
