from django.urls import path

from payments.fees import views

urlpatterns = [
    path("<int:pk>/repair-fees/", views.payment_fee_repair, name="fee_repair_payment"),
    path("fees/", views.fee_health, name="fee_health"),
    path("fees/sync/", views.fee_sync_now, name="fee_sync_now"),
    path("fees/repair/", views.fee_repair, name="fee_repair"),
]
