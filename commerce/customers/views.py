"""Pages of contacts. Each view parses, authorizes through the portal, calls one service or
selector and renders."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from commerce.forms import submitted
from commerce.portals.access import current_portal, portal_view

from . import selectors, services
from .forms import ContactForm, ContactSearchForm


@portal_view("contacts.view")
def contact_list(request: HttpRequest) -> HttpResponse:
    search = ContactSearchForm(request.GET).search()
    page = selectors.contact_list_page(
        portal=current_portal(request), search=search, page_number=request.GET.get("page")
    )
    return render(request, "customers/contact_list.html", {"search": search, "page_obj": page})


@portal_view("contacts.view")
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get(portal=current_portal(request), pk=pk)
    return render(request, "customers/contact_detail.html", {"contact": contact})


@portal_view("contacts.edit")
def contact_create(request: HttpRequest) -> HttpResponse:
    portal = current_portal(request)
    form = ContactForm(*submitted(request), portal=portal)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(portal=portal, **form.contact_fields())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Contact “{contact}” added.")
            return redirect(contact)
    return render(request, "customers/contact_form.html", {"form": form, "contact": None})


@portal_view("contacts.edit")
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    portal = current_portal(request)
    contact = selectors.contact_get(portal=portal, pk=pk)
    form = ContactForm(*submitted(request), instance=contact, portal=portal)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_update(contact=contact, **form.contact_fields())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Changes to “{contact}” saved.")
            return redirect(contact)
    return render(request, "customers/contact_form.html", {"form": form, "contact": contact})
