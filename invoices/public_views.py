"""The buyer's invoice pages (no account: the unguessable token is the key)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from commerce.documents.views import for_buyer
from payments.checkout import CheckoutError, NotAcceptingPayments
from payments.stripe import StripeServiceError

from . import selectors
from .models import Invoice
from .payment import invoice_pay_start
from .services import InvoiceError
from .views import pdf_response


def _page(
    request: HttpRequest, invoice: Invoice, *, problem: str = "", status: int = 200
) -> HttpResponse:
    return for_buyer(
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
                "problem": problem,
                "amount_text": request.POST.get("amount", "") if request.method == "POST" else "",
            },
            status=status,
        )
    )


def public_invoice(request: HttpRequest, token: str) -> HttpResponse:
    return _page(request, selectors.invoice_for_public(token=token))


def public_invoice_pdf(request: HttpRequest, token: str) -> HttpResponse:
    return for_buyer(pdf_response(selectors.invoice_for_public(token=token)))


@require_POST
def public_invoice_pay(request: HttpRequest, token: str) -> HttpResponse:
    """The Pay button: on to the hosted checkout's card step for the amount due (or the
    part typed, when the portal allows partial payments)."""
    invoice = selectors.invoice_for_public(token=token)
    try:
        checkout = invoice_pay_start(invoice=invoice, amount_text=request.POST.get("amount"))
    except InvoiceError as exc:
        return _page(request, invoice, problem=str(exc), status=400)
    except NotAcceptingPayments:
        return render(request, "public/not_accepting.html", {"portal": invoice.portal}, status=503)
    except (CheckoutError, StripeServiceError) as exc:
        return _page(request, invoice, problem=exc.user_message, status=503)
    # 303: the card page's reload is a GET, never a second POST.
    response = HttpResponseRedirect(reverse("public:document_checkout", args=[checkout.public_id]))
    response.status_code = 303
    return response
