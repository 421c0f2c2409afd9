"""The buyer's invoice pages (no account: the unguessable token is the key)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from . import selectors
from .views import pdf_response


def _no_referrer(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex"
    # The token is in the URL: never send it to other sites ("no-referrer" would make
    # browsers post "Origin: null", which fails the CSRF check).
    response["Referrer-Policy"] = "same-origin"
    return response


def public_invoice(request: HttpRequest, token: str) -> HttpResponse:
    invoice = selectors.invoice_for_public(token=token)
    return _no_referrer(
        render(
            request,
            "public/invoice.html",
            {
                "doc": selectors.invoice_document(invoice),
                "invoice": invoice,
                "portal": invoice.portal,
                "payable": selectors.invoice_payable_amount(invoice),
                "refusal": selectors.invoice_pay_refusal(invoice),
                "allow_partial": selectors.invoice_allows_partial_payment(invoice),
            },
        )
    )


def public_invoice_pdf(request: HttpRequest, token: str) -> HttpResponse:
    return _no_referrer(pdf_response(selectors.invoice_for_public(token=token)))


@require_POST
def public_invoice_pay(request: HttpRequest, token: str) -> HttpResponse:
    """The Pay button. Online payment is wired by the document checkout
    (payments/checkout/); until then this page says so."""
    invoice = selectors.invoice_for_public(token=token)
    return _no_referrer(
        render(
            request,
            "public/invoice_pay_soon.html",
            {"invoice": invoice, "portal": invoice.portal},
            status=200,
        )
    )
