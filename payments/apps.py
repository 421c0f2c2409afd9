from django.apps import AppConfig
from django.core import checks


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from payments.checkout.completion import link_checkout_paid
        from payments.checkout.payables import check_payables, register_payable

        # What a checkout pays for is registered by its app; payments owns links.
        register_payable(source="payment_link", on_paid=link_checkout_paid)
        checks.register(check_payables)

        from payments.payouts.origins import payment_link_origins, register_payment_origin

        # A payout line links to what its payment paid; each app registers its source.
        register_payment_origin(source="payment_link", resolve=payment_link_origins)

        from payments import stripe as stripe_api
        from payments.tasks import account_invalid_heard

        # The seam only raises; a call answered account_invalid disconnects the portal.
        stripe_api.on_account_invalid(account_invalid_heard)

        from commerce.portals.settings_cards import register_settings_card
        from payments.settings_cards import stripe_connection_card, webhook_events_card

        # The core's settings overview shows what payments registers, in this order.
        register_settings_card("stripe_connection", stripe_connection_card)
        register_settings_card("webhook_events", webhook_events_card)

        from commerce.events.services import register_snapshot
        from payments import events
        from payments.models import Checkout, Payment, PaymentLink, StripeAccount

        # payment.*, checkout.completed, payment_link.*, stripe_account.status_changed
        # carry these snapshots (commerce/events/).
        register_snapshot(Payment, events.payment_snapshot, object_type="payment")
        register_snapshot(Checkout, events.checkout_snapshot, object_type="checkout")
        register_snapshot(PaymentLink, events.payment_link_snapshot, object_type="payment_link")
        register_snapshot(
            StripeAccount, events.stripe_account_snapshot, object_type="stripe_account"
        )

        from commerce.csp import register_csp_sources
        from payments.stripe.csp import stripe_csp_sources

        # Stripe.js, its frames and Connect onboarding, from wherever STRIPE_JS_URL points.
        register_csp_sources(stripe_csp_sources)
