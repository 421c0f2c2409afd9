from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscriptions"

    def ready(self) -> None:
        from commerce.events.services import register_snapshot
        from payments.checkout.payables import register_completion_hook, register_intent_resolver

        from .billing import attempt_resolve_from_intent
        from .events import subscription_snapshot
        from .models import Subscription
        from .services import subscriptions_create_for_checkout

        # subscription.* events carry this snapshot (commerce/events/).
        register_snapshot(Subscription, subscription_snapshot, object_type="subscription")

        # A paid checkout's recurring lines become subscriptions, in its completion.
        register_completion_hook(subscriptions_create_for_checkout)
        # A later period's off-session intent belongs to no checkout: its billing
        # attempt (named in the intent's metadata) settles it.
        register_intent_resolver(
            metadata_key="billing_attempt", resolve=attempt_resolve_from_intent
        )

        from payments.payouts.origins import register_payment_origin

        from .origins import subscription_payment_origins

        # A payout line links to the subscription period its payment renewed.
        register_payment_origin(source="subscription", resolve=subscription_payment_origins)
