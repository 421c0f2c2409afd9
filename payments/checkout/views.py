"""The buyer's pages (public, no login): a payment link's hosted checkout, the card step
of a quote's or an invoice's checkout, the return from paying, the receipt.

Views stay thin: find the link, ask one selector or service, render. A buyer never sees
a traceback: every refusal is a page or a message written for them.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.cache import caches
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache

from commerce.catalog.models import schedule_phrase
from payments import checkout as checkout_service
from payments import stripe as stripe_api
from payments.checkout import Buyer, CheckoutError, LinkUnavailable, NotAcceptingPayments
from payments.checkout.documents import DOCUMENT_SOURCES
from payments.links.forms import CheckoutForm
from payments.links.services import Unavailable, link_unavailable_reason
from payments.models import Checkout, PaymentLink

log = logging.getLogger(__name__)

UNAVAILABLE_PAGES = {
    Unavailable.INACTIVE: (
        "This payment link is no longer active",
        "The seller has turned this link off. If you still want to buy, ask them for a new link.",
        410,
    ),
    Unavailable.EXPIRED: (
        "This payment link has expired",
        "It can no longer be used to pay. Ask the seller for a new link.",
        410,
    ),
    Unavailable.USED: (
        "This link has already been used",
        "It accepted all the payments it was set up for. Nothing was charged. Ask the seller for a new link if you still want to buy.",
        410,
    ),
    Unavailable.IN_USE: (
        "This link has already been used",
        "Another buyer is paying with this link right now, so it can't take your payment. Nothing was charged. If their payment doesn't go through, the link becomes available again within 30 minutes.",
        409,
    ),
}


def _session_key(request: HttpRequest) -> str | None:
    # Read from the cookie: the GET of the page costs no session query.
    return request.COOKIES.get(settings.SESSION_COOKIE_NAME)


def _ensure_session(request: HttpRequest) -> str:
    request.session.setdefault("buyer", True)
    if request.session.session_key is None:
        request.session.save()
    return str(request.session.session_key)


def _unavailable(request: HttpRequest, link: PaymentLink | None, reason: str) -> HttpResponse:
    title, text, status = UNAVAILABLE_PAGES[reason]
    return render(
        request,
        "public/unavailable.html",
        {"portal": link.portal if link else None, "title": title, "text": text},
        status=status,
    )


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "public/unavailable.html",
        {
            "portal": None,
            "title": "We can't find this payment link",
            "text": "Check that you copied the whole address, or ask the seller to send it again.",
        },
        status=404,
    )


def order_summary(order: dict) -> dict:
    """The frozen order with each line's schedule phrase, for the summary template."""
    lines = [
        {**line, "schedule": schedule_phrase(line["billing_frequency"], line["term_periods"])}
        for line in order["lines"]
    ]
    return {**order, "lines": lines}


def _initial(checkout: Checkout | None) -> dict:
    if checkout is None:
        return {}
    initial = {"email": checkout.email, "name": checkout.name, "phone": checkout.phone}
    for kind in ("billing", "shipping"):
        for part, value in (getattr(checkout, f"{kind}_address") or {}).items():
            initial[f"{kind}_{part}"] = value
    for line in (checkout.order or {}).get("lines", []):
        if line.get("ref"):
            initial[f"qty_{line['ref']}"] = line["quantity"]
    return initial


# The first step of the page is the same for every new buyer of an unlimited link: it is
# rendered once per version of the link and of the portal's branding, and served with
# the request's own CSRF token put in. Limited links, returning buyers (an open
# checkout) and POSTs always take the full path.
PAGE_CACHE_SECONDS = 300
_CSRF_PLACEHOLDER = "csrf0placeholder0token"


def _details_page(request: HttpRequest, link: PaymentLink, cache_key: str | None) -> HttpResponse:
    prefetch_related_objects([link], "lines")
    context = {
        "portal": link.portal,
        "link": link,
        "form": CheckoutForm(link=link),
        "order": order_summary(checkout_service.order_for_link(link)),
        "checkout": None,
        "csrf_token": _CSRF_PLACEHOLDER,
    }
    page = render_to_string("public/checkout.html", context, request=request)
    if cache_key:
        caches["pages"].set(cache_key, page, PAGE_CACHE_SECONDS)
    return HttpResponse(page.replace(_CSRF_PLACEHOLDER, get_token(request)))


@never_cache
def checkout_page(request: HttpRequest, slug: str) -> HttpResponse:
    cache_key = None
    if request.method != "POST" and not _session_key(request):
        cache_key = checkout_service.payable_link_page_key(slug)
        page = caches["pages"].get(cache_key) if cache_key else None
        if page is not None:
            return HttpResponse(page.replace(_CSRF_PLACEHOLDER, get_token(request)))
    link = checkout_service.public_link(slug)
    if link is None:
        return _not_found(request)
    own = checkout_service.open_checkout_for_session(link=link, session_key=_session_key(request))
    reason = link_unavailable_reason(link, exclude_checkout_id=own.pk if own else None)
    if reason is not None:
        return _unavailable(request, link, reason)
    if not link.portal_ready:  # type: ignore[attr-defined]
        return render(request, "public/not_accepting.html", {"portal": link.portal})
    if request.method != "POST" and own is None:
        return _details_page(request, link, cache_key)

    prefetch_related_objects([link], "lines")
    error = ""
    if request.method == "POST":
        form = CheckoutForm(request.POST, link=link)
        if form.is_valid():
            buyer = Buyer(
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                phone=form.cleaned_data.get("phone", ""),
                billing_address=form.address("billing"),
                shipping_address=form.address("shipping"),
            )
            try:
                checkout_service.checkout_start(
                    link=link,
                    session_key=_ensure_session(request),
                    buyer=buyer,
                    quantities=form.quantities(),
                )
            except LinkUnavailable as exc:
                return _unavailable(request, link, exc.reason)
            except NotAcceptingPayments:
                return render(request, "public/not_accepting.html", {"portal": link.portal})
            except CheckoutError as exc:
                error = exc.user_message
            except stripe_api.StripeServiceError as exc:
                log.warning("checkout start failed for link %s: %s", link.pk, exc)
                error = exc.user_message
            else:
                # 303: the reload of the next page is a GET, never a second POST.
                response = HttpResponseRedirect(
                    reverse("public:checkout", args=[slug]) + "#payment"
                )
                response.status_code = 303
                return response
    else:
        form = CheckoutForm(initial=_initial(own), link=link)

    paying = (
        request.method != "POST"
        and own is not None
        and bool(own.client_secret)
        and not request.GET.get("edit")
    )
    order = own.order if paying and own else checkout_service.order_for_link(link)
    context = {
        "portal": link.portal,
        "link": link,
        "form": form,
        "error": error,
        "order": order_summary(order),
        "checkout": own if paying else None,
    }
    status = 400 if form.errors or error else 200
    if paying and own:
        context.update(
            stripe_js_url=settings.STRIPE_JS_URL,
            publishable_key=stripe_api.publishable_key(),
            return_url=request.build_absolute_uri(
                reverse("public:checkout_return", args=[slug]) + f"?checkout={own.public_id}"
            ),
        )
    return render(request, "public/checkout.html", context, status=status)


def sync_on_return(
    request: HttpRequest, checkout: Checkout
) -> tuple[Checkout, HttpResponse | None]:
    """The buyer is back from paying: re-fetch the intent and complete (never trust the
    URL). Returns the checkout as it now is, and the page to show instead when Stripe
    could not be asked or the intent does not match the order."""
    try:
        return checkout_service.checkout_sync(checkout=checkout), None
    except stripe_api.StripeServiceError as exc:
        log.warning("checkout %s: re-fetch failed: %s", checkout.public_id, exc)
        return checkout, render(
            request,
            "public/problem.html",
            {
                "portal": checkout.portal,
                "text": exc.user_message,
                "retry_url": request.get_full_path(),
            },
            status=503,
        )
    except checkout_service.IntentMismatch:
        log.exception("checkout %s: intent does not match", checkout.public_id)
        return checkout, render(
            request,
            "public/problem.html",
            {
                "portal": checkout.portal,
                "text": "We could not confirm this payment. The seller has been told; please contact them before paying again.",
            },
            status=409,
        )


@never_cache
def checkout_return(request: HttpRequest, slug: str) -> HttpResponse:
    public_id = _uuid_or_none(request.GET.get("checkout"))
    checkout = (
        Checkout.objects.select_related("portal", "payment_link")
        .defer("portal__logo")
        .filter(payment_link__slug=slug, public_id=public_id)
        .first()
        if public_id
        else None
    )
    if checkout is None:
        return _not_found(request)
    checkout, problem = sync_on_return(request, checkout)
    if problem is not None:
        return problem
    if checkout.status in (Checkout.Status.SUCCEEDED, Checkout.Status.PROCESSING):
        return redirect("public:receipt", public_id=checkout.public_id)
    return redirect(reverse("public:checkout", args=[slug]) + "#payment")


def _uuid_or_none(value: str | None) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


@never_cache
def receipt(request: HttpRequest, public_id: str) -> HttpResponse:
    checkout = (
        Checkout.objects.select_related("portal", "payment_link")
        .defer("portal__logo")
        .filter(public_id=public_id)
        .first()
    )
    if checkout is None or checkout.status not in (
        Checkout.Status.SUCCEEDED,
        Checkout.Status.PROCESSING,
    ):
        return _not_found(request)
    payment = checkout.payments.order_by("-created_at").first()
    return render(
        request,
        "public/receipt.html",
        {
            "portal": checkout.portal,
            "checkout": checkout,
            "order": order_summary(checkout.order),
            "payment": payment,
        },
    )


# --- The card step of a quote's or an invoice's checkout ---------------------------------
# The document's own page starts the checkout (documents.py) and sends the buyer here;
# the checkout's public id is the key.


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
