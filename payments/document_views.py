"""The card step of a quote's or an invoice's checkout (public, no login).

The document's own page starts the checkout (payments/checkout/documents.py) and sends
the buyer here; the checkout's public id is the key. Same Stripe.js card step and the
same return handling as a payment link's checkout.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from . import checkout as checkout_service
from . import stripe_api
from .checkout.documents import DOCUMENT_SOURCES
from .checkout_views import order_summary, sync_on_return
from .models import Checkout


def _document_checkout(public_id: str) -> Checkout:
    checkout = (
        Checkout.objects.select_related("portal")
        .defer("portal__logo")
        .filter(public_id=public_id, source__in=DOCUMENT_SOURCES)
        .first()
    )
    if checkout is None:
        raise Http404("Not found")
    return checkout


def _gone(request: HttpRequest, checkout: Checkout) -> HttpResponse:
    return render(
        request,
        "public/problem.html",
        {
            "portal": checkout.portal,
            "text": "This payment page is no longer valid. Go back to the "
            f"{checkout.get_source_display().lower()} to pay.",
            "retry_url": checkout.return_path,
        },
        status=410,
    )


def _page(request: HttpRequest, checkout: Checkout) -> HttpResponse:
    if checkout.status in (Checkout.Status.SUCCEEDED, Checkout.Status.PROCESSING):
        return redirect("public:receipt", public_id=checkout.public_id)
    if checkout.status != Checkout.Status.OPEN or not checkout.client_secret:
        return _gone(request, checkout)
    if checkout_service.ready_account_id(checkout.portal) != checkout.stripe_account_id:
        return render(request, "public/not_accepting.html", {"portal": checkout.portal})
    response = render(
        request,
        "public/checkout_document.html",
        {
            "portal": checkout.portal,
            "checkout": checkout,
            "order": order_summary(checkout.order),
            "stripe_js_url": settings.STRIPE_JS_URL,
            "publishable_key": stripe_api.publishable_key(),
            "return_url": request.build_absolute_uri(
                reverse("public:document_checkout_return", args=[checkout.public_id])
            ),
        },
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
def document_checkout_page(request: HttpRequest, public_id: str) -> HttpResponse:
    return _page(request, _document_checkout(public_id))


@never_cache
def document_checkout_return(request: HttpRequest, public_id: str) -> HttpResponse:
    """Back from Stripe.js (or its 3DS page): re-fetch the intent, never trust the URL."""
    checkout = _document_checkout(public_id)
    checkout, problem = sync_on_return(request, checkout)
    if problem is not None:
        return problem
    if checkout.status in (Checkout.Status.SUCCEEDED, Checkout.Status.PROCESSING):
        return redirect("public:receipt", public_id=checkout.public_id)
    return redirect(reverse("public:document_checkout", args=[checkout.public_id]) + "#payment")
