"""The buyer's pages (public, no login): a payment link's hosted checkout, the card step
of a quote's or an invoice's checkout, the return from paying, the receipt.

Views stay thin: find the link, ask one selector or service, render. A buyer never sees
a traceback: every refusal is a page or a message written for them.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache

from commerce import pricing
from payments import checkout as checkout_service
from payments import stripe as stripe_api
from payments.checkout import Buyer, CheckoutError, LinkUnavailable, NotAcceptingPayments, selectors
from payments.checkout.selectors import OpenCheckout
from payments.links.forms import CheckoutForm, FieldSpec, field_rows
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


def order_summary(order: dict, *, paid: bool = False) -> dict:
    """The frozen order as the summary template shows it: presented as every document
    presents its lines and totals (commerce.pricing.order_summary)."""
    return pricing.order_summary(order, paid=paid)


def _initial(checkout: Checkout | OpenCheckout | None) -> dict:
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


# --- A payment link's page -----------------------------------------------------------
# Most of the page is the same for every buyer of a version of the link: the shell
# (branding, title, the seller's text), the summary of the seller's order and how the
# details form writes its fields. Those parts are rendered once per process and kept
# in the page cache under payable_link_page_key, whose key changes with the link and
# the portal's branding; only the step (the details form, or the card step of a buyer
# who is paying) is rendered per request. The whole first step a new buyer of a link
# that takes payments gets is cached too, and served with the request's own CSRF token
# put in. POSTs, and links that cannot take a payment right now, take the full path.
# The shell's inline style carries a placeholder for the response's CSP nonce, put in
# the same way (_page_response).
PAGE_CACHE_SECONDS = 300
_CSRF_PLACEHOLDER = "csrf0placeholder0token"
_NONCE_PLACEHOLDER = "csp0placeholder0nonce"
_SLOTS = ("summary", "step")


@dataclass(frozen=True)
class LinkPage:
    """The parts of a link's page that are the same for every buyer (see above)."""

    shells: dict[bool, tuple[str, ...]]  # paying or not: the page around its slots
    summary: str  # the seller's order
    order_json: str  # ...as frozen, to recognise a buyer's order that is the same
    fields: tuple[FieldSpec, ...]
    accent_colour: str


def _slot(name: str) -> SafeString:
    return mark_safe(f"<!--slot:{name}-->")  # noqa: S308 (a constant)


def _shell(link: PaymentLink, *, paying: bool) -> tuple[str, ...]:
    page: str = render_to_string(
        "public/checkout.html",
        {
            "portal": link.portal,
            "link": link,
            "paying": paying,
            "stripe_js_url": settings.STRIPE_JS_URL,
            "CSP_NONCE": _NONCE_PLACEHOLDER,
            **{name: _slot(name) for name in _SLOTS},
        },
    )
    parts = []
    for name in _SLOTS:
        before, _, page = page.partition(_slot(name))
        parts.append(before)
    return (*parts, page)


def _link_page(link: PaymentLink) -> LinkPage:
    order = checkout_service.order_for_link(link)
    return LinkPage(
        shells={paying: _shell(link, paying=paying) for paying in (False, True)},
        summary=render_to_string("public/_summary.html", {"order": order_summary(order)}),
        order_json=_order_json(order),
        fields=CheckoutForm(link=link).field_specs(),
        accent_colour=link.portal.accent_colour,
    )


def _order_json(order: dict) -> str:
    # The summary shows no buyer's e-mail: an order that differs only there looks the same.
    return json.dumps({k: v for k, v in order.items() if k != "customer_email"}, sort_keys=True)


def _parts_key(page_key: str) -> str:
    return f"{page_key}:parts"


def _compose(parts: LinkPage, *, paying: bool, summary: str, step: str) -> str:
    shell = parts.shells[paying]
    return "".join((shell[0], summary, shell[1], step, shell[2]))


def _details_step(
    *,
    rows: dict[str, list[dict[str, Any]]],
    csrf_token: str,
    error: str = "",
    form: CheckoutForm | None = None,
) -> str:
    return render_to_string(
        "public/_details_form.html",
        {
            "rows": rows,
            "csrf_token": csrf_token,
            "error": error,
            "non_field_errors": form.non_field_errors() if form is not None else (),
            "has_errors": bool(form is not None and form.errors),
        },
    )


def _buyer_page(
    request: HttpRequest, slug: str, parts: LinkPage, own: Checkout | OpenCheckout | None
) -> HttpResponse:
    """A buyer with a session: their details form, filled in from their open checkout,
    or the card step once it has a PaymentIntent (unless they asked to edit)."""
    if own is not None and own.client_secret and not request.GET.get("edit"):
        summary = (
            parts.summary
            if _order_json(own.order) == parts.order_json
            else render_to_string("public/_summary.html", {"order": order_summary(own.order)})
        )
        return_url = request.build_absolute_uri(
            reverse("public:checkout_return", args=[slug]) + f"?checkout={own.public_id}"
        )
        step: str = render_to_string(
            "public/_card_step.html",
            {
                "checkout": own,
                "portal": {"accent_colour": parts.accent_colour},
                "publishable_key": stripe_api.publishable_key(),
                "return_url": return_url,
                "edit_url": "?edit=1",
            },
        )
        return _page_response(request, _compose(parts, paying=True, summary=summary, step=step))
    rows = field_rows(parts.fields, values=_initial(own))
    step = _details_step(rows=rows, csrf_token=get_token(request))
    return _page_response(request, _compose(parts, paying=False, summary=parts.summary, step=step))


def _new_buyer_page(parts: LinkPage) -> str:
    """The first step every new buyer gets, with a placeholder for the CSRF token."""
    step = _details_step(rows=field_rows(parts.fields, values={}), csrf_token=_CSRF_PLACEHOLDER)
    return _compose(parts, paying=False, summary=parts.summary, step=step)


def _with_token(request: HttpRequest, page: str) -> HttpResponse:
    return _page_response(request, page.replace(_CSRF_PLACEHOLDER, get_token(request)))


def _page_response(request: HttpRequest, page: str, *, status: int = 200) -> HttpResponse:
    """A composed page, with this response's CSP nonce (commerce/csp.py) in the shell."""
    nonce = str(getattr(request, "csp_nonce", ""))
    return HttpResponse(page.replace(_NONCE_PLACEHOLDER, nonce), status=status)


def _refusal(
    request: HttpRequest, link: PaymentLink, own: Checkout | OpenCheckout | None
) -> HttpResponse | None:
    reason = link_unavailable_reason(link, exclude_checkout_id=own.pk if own else None)
    if reason is not None:
        return _unavailable(request, link, reason)
    if not link.portal_ready:  # type: ignore[attr-defined]
        return render(request, "public/not_accepting.html", {"portal": link.portal})
    return None


@never_cache
def checkout_page(request: HttpRequest, slug: str) -> HttpResponse:
    if request.method == "POST":
        return _details_submitted(request, slug)
    session_key = _session_key(request)
    buyer = selectors.link_page_buyer(slug=slug, session_key=session_key)
    if buyer.page_key is not None:
        pages = caches["pages"]
        page = None if session_key else pages.get(buyer.page_key)
        if page is not None:
            return _with_token(request, page)
        parts = pages.get(_parts_key(buyer.page_key))
        if parts is not None:
            return _page_of(request, slug, parts, buyer, session_key)
    return _full_page(request, slug, buyer, session_key)


def _page_of(
    request: HttpRequest,
    slug: str,
    parts: LinkPage,
    buyer: selectors.LinkPageBuyer,
    session_key: str | None,
) -> HttpResponse:
    if session_key:
        return _buyer_page(request, slug, parts, buyer.checkout)
    page = _new_buyer_page(parts)
    if buyer.page_key is not None:
        caches["pages"].set(buyer.page_key, page, PAGE_CACHE_SECONDS)
    return _with_token(request, page)


def _full_page(
    request: HttpRequest, slug: str, buyer: selectors.LinkPageBuyer, session_key: str | None
) -> HttpResponse:
    """Says why the link can't be paid now, or renders its parts (and caches them)."""
    link = selectors.link_with_lines(slug=slug)
    if link is None:
        return _not_found(request)
    refusal = _refusal(request, link, buyer.checkout)
    if refusal is not None:
        return refusal
    parts = _link_page(link)
    if buyer.page_key is not None:
        caches["pages"].set(_parts_key(buyer.page_key), parts, PAGE_CACHE_SECONDS)
    return _page_of(request, slug, parts, buyer, session_key)


def _details_submitted(request: HttpRequest, slug: str) -> HttpResponse:
    link = selectors.link_with_lines(slug=slug)
    if link is None:
        return _not_found(request)
    own = selectors.checkout_open_for_buyer(slug=slug, session_key=_session_key(request))
    refusal = _refusal(request, link, own)
    if refusal is not None:
        return refusal
    error = ""
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
            response = HttpResponseRedirect(reverse("public:checkout", args=[slug]) + "#payment")
            response.status_code = 303
            return response
    parts = _link_page(link)
    step = _details_step(
        rows=form.field_rows(), csrf_token=get_token(request), error=error, form=form
    )
    return _page_response(
        request,
        _compose(parts, paying=False, summary=parts.summary, step=step),
        status=400 if form.errors or error else 200,
    )


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
    checkout = selectors.checkout_of_link(slug=slug, public_id=public_id) if public_id else None
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
    paid = selectors.checkout_paid(public_id=public_id)
    if paid is None:
        return _not_found(request)
    checkout, payment = paid
    return render(
        request,
        "public/receipt.html",
        {
            "portal": checkout.portal,
            "checkout": checkout,
            "order": order_summary(checkout.order, paid=True),
            "payment": payment,
        },
    )


# --- The card step of a quote's or an invoice's checkout ---------------------------------
# The document's own page starts the checkout (documents.py) and sends the buyer here;
# the checkout's public id is the key.


def _document_checkout(public_id: str) -> Checkout:
    checkout = selectors.checkout_of_document(public_id=public_id)
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
