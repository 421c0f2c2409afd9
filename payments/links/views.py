"""The seller's payment link pages: list, detail, create, edit, deactivate/reactivate.
Each view parses, authorizes through the portal, calls one service or selector, renders."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from commerce.forms import submitted
from commerce.portals.access import current_portal, portal_view
from commerce.portals.http import AuthenticatedHttpRequest
from payments.links import services as links
from payments.links.forms import PaymentLinkForm, line_formset
from payments.models import PaymentLink


def _absolute(request: HttpRequest, link: PaymentLink) -> str:
    return request.build_absolute_uri(links.link_path(link))


@portal_view("payment_links.view")
def link_list(request: HttpRequest) -> HttpResponse:
    portal = current_portal(request)
    search = request.GET.get("q", "").strip()[:100]
    listing = links.link_listing(portal=portal, search=search)
    for link in listing.links:
        link.status_label, link.status_tone = links.link_status(link, link.uses)  # type: ignore[attr-defined]
        link.url = _absolute(request, link)  # type: ignore[attr-defined]
    return render(
        request,
        "payments/links/list.html",
        {"links": listing.links, "search": search, "has_any": listing.has_any},
    )


@portal_view("payment_links.view")
def link_detail(request: HttpRequest, pk: int) -> HttpResponse:
    link = links.link_for_detail(portal=current_portal(request), pk=pk)
    lines = links.link_lines(link=link)
    label, tone = links.link_status(link, link.uses)  # type: ignore[attr-defined]
    return render(
        request,
        "payments/links/detail.html",
        {
            "link": link,
            "lines": lines,
            "totals": links.link_totals(lines, link.currency),
            "status_label": label,
            "status_tone": tone,
            "url": _absolute(request, link),
            "checkouts": links.link_recent_checkouts(link=link),
        },
    )


def _editor(request: AuthenticatedHttpRequest, link: PaymentLink | None) -> HttpResponse:
    portal = current_portal(request)
    form = PaymentLinkForm(*submitted(request), portal=portal, link=link)
    lines = line_formset(
        request.POST if request.method == "POST" else None,
        portal=portal,
        link=link,
        blank_rows=1 if link else 2,
    )
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            if link is None:
                link = links.payment_link_create(
                    portal=portal,
                    user=request.user,
                    lines=lines.line_specs(),
                    **form.link_fields(),
                )
                messages.success(
                    request,
                    f"Payment link “{link.name}” created. Copy it and send it to your buyer.",
                )
            else:
                link = links.payment_link_update(
                    link=link, lines=lines.line_specs(), **form.link_fields()
                )
                messages.success(request, f"Changes to “{link.name}” saved.")
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("payment_links:detail", pk=link.pk)
    return render(
        request,
        "payments/links/form.html",
        {"form": form, "lines": lines, "link": link},
    )


@portal_view("payment_links.edit")
def link_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _editor(request, None)


@portal_view("payment_links.edit")
def link_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    link = links.link_get(portal=current_portal(request), pk=pk)
    return _editor(request, link)


@require_POST
@portal_view("payment_links.edit")
def link_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    link = links.link_get(portal=current_portal(request), pk=pk)
    link = links.payment_link_set_active(link=link, active=False)
    messages.success(
        request, f"“{link.name}” deactivated. Buyers who open it are told it is no longer active."
    )
    return redirect("payment_links:detail", pk=link.pk)


@require_POST
@portal_view("payment_links.edit")
def link_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    link = links.link_get(portal=current_portal(request), pk=pk)
    link = links.payment_link_set_active(link=link, active=True)
    messages.success(request, f"“{link.name}” is active again.")
    return redirect("payment_links:detail", pk=link.pk)
