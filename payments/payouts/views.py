"""The payouts tool: what Stripe paid to the bank, and what each payout is made of.

For billing admins and super admins ("payouts.view"); each view parses, resolves the
portal through `portals.access`, calls one selector and renders.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from commerce.portals.access import current_portal, portal_view
from payments.connect.services import connection_context
from payments.payouts import selectors
from payments.payouts.forms import PayoutFilterForm


@portal_view("payouts.view")
def payout_list(request: HttpRequest) -> HttpResponse:
    portal = current_portal(request)
    form = PayoutFilterForm(request.GET)
    filters = form.filters()
    page = selectors.payout_list_page(
        portal=portal, filters=filters, page_number=request.GET.get("page")
    )
    context = {
        "form": form,
        "filters": filters,
        "page_obj": page,
        "has_any": bool(page.object_list)
        or (filters.active and selectors.portal_has_payouts(portal)),
        **connection_context(portal=portal),
    }
    return render(request, "payments/payouts/list.html", context)


@portal_view("payouts.view")
def payout_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payout = selectors.payout_for_detail(portal=current_portal(request), pk=pk)
    return render(
        request, "payments/payouts/detail.html", {"detail": selectors.payout_detail(payout=payout)}
    )
