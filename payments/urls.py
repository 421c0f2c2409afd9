"""The payments tool's URLs (namespace "payments"), gathered from its areas."""

from payments.connect.urls import urlpatterns as connect_urls
from payments.fees.urls import urlpatterns as fee_urls
from payments.ledger.urls import urlpatterns as ledger_urls
from payments.payouts.urls import urlpatterns as payout_urls
from payments.webhooks.urls import urlpatterns as webhook_urls

app_name = "payments"

urlpatterns = [*ledger_urls, *fee_urls, *payout_urls, *connect_urls, *webhook_urls]
