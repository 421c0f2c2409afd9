"""The buyer's card-update page (public, no login; the signed link is the credential).

Reached from the failed-payment e-mail: saves a new card with a SetupIntent confirmed by
Stripe.js, then retries the overdue period at once. A forged or expired link is a page
written for the buyer, never an error.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import dunning


def _expired(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "public/unavailable.html",
        {
            "portal": None,
            "title": "This link has expired",
            "text": "For your security, card-update links work for a few days only. "
            "Reply to the e-mail you received and the seller will send a new one.",
        },
        status=410,
    )


@never_cache
@require_http_methods(["GET"])
def card_update(request: HttpRequest, token: str) -> HttpResponse:
    subscription = dunning.card_update_subscription(token)
    if subscription is None:
        return _expired(request)
    outcome = request.GET.get("outcome", "")
    context = {
        "portal": subscription.portal,
        "subscription": subscription,
        "overdue": dunning.overdue_cycle(subscription),
        "outcome": outcome,
        "token": token,
    }
    try:
        intent = dunning.card_page_intent(subscription=subscription, outcome=outcome)
    except dunning.CardUpdateError as exc:
        return render(
            request,
            "public/problem.html",
            {"portal": subscription.portal, "text": exc.user_message},
        )
    if intent is not None:
        context.update(
            mode=intent.mode,
            client_secret=intent.client_secret,
            publishable_key=intent.publishable_key,
            stripe_js_url=settings.STRIPE_JS_URL,
            done_url=reverse("subscriptions:card_update_done", args=[token]),
        )
    return render(request, "public/subscription_card.html", context)


@never_cache
@require_http_methods(["POST"])
def card_update_done(request: HttpRequest, token: str) -> HttpResponse:
    subscription = dunning.card_update_subscription(token)
    if subscription is None:
        return _expired(request)
    setup_intent = request.POST.get("setup_intent", "")[:255]
    payment_intent = request.POST.get("payment_intent", "")[:255]
    try:
        if payment_intent:
            outcome = dunning.authentication_complete(
                subscription_id=subscription.pk, payment_intent_id=payment_intent
            )
        else:
            outcome = dunning.card_update_complete(
                subscription_id=subscription.pk, setup_intent_id=setup_intent
            )
    except dunning.CardUpdateError as exc:
        return render(
            request,
            "public/problem.html",
            {
                "portal": subscription.portal,
                "text": exc.user_message,
                "retry_url": reverse("subscriptions:card_update", args=[token]),
            },
        )
    url = reverse("subscriptions:card_update", args=[token])
    return redirect(f"{url}?outcome={outcome}")
