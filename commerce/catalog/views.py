"""Pages of the product library. Each view parses, authorizes through the portal, calls one
service or selector and renders."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from commerce.clock import hub_today
from commerce.forms import submitted
from commerce.portals.access import current_portal, portal_view

from . import selectors, services
from .csv_io import COLUMN_HELP, MAX_ROWS, write_products_csv
from .forms import ProductFilterForm, ProductForm, ProductImportUploadForm
from .models import BillingFrequency

MAX_ERRORS_SHOWN = 200


@portal_view("products.view")
def product_list(request: HttpRequest) -> HttpResponse:
    filters = ProductFilterForm(request.GET)
    listing = selectors.product_list_page(
        portal=current_portal(request), page_number=request.GET.get("page"), **filters.values()
    )
    return render(
        request,
        "catalog/product_list.html",
        {
            "filters": filters,
            "search": filters.values()["search"],
            "page_obj": listing.page,
            "library_is_empty": listing.library_is_empty,
        },
    )


@portal_view("products.view")
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_get(portal=current_portal(request), pk=pk)
    return render(request, "catalog/product_detail.html", {"product": product})


@portal_view("products.edit")
def product_create(request: HttpRequest) -> HttpResponse:
    portal = current_portal(request)
    form = ProductForm(*submitted(request), portal=portal)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(portal=portal, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Product “{product.name}” created.")
            return redirect(product)
    return render(request, "catalog/product_form.html", {"form": form, "product": None})


@portal_view("products.edit")
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    portal = current_portal(request)
    product = selectors.product_get(portal=portal, pk=pk)
    form = ProductForm(*submitted(request), portal=portal, product=product)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_update(product=product, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Changes to “{product.name}” saved.")
            return redirect(product)
    return render(request, "catalog/product_form.html", {"form": form, "product": product})


@require_POST
@portal_view("products.edit")
def product_archive(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_get(portal=current_portal(request), pk=pk)
    product = services.product_archive(product=product)
    messages.success(
        request,
        f"“{product.name}” archived. It can't be added to new quotes, invoices or payment "
        "links; tick “Show archived” to find it again.",
    )
    return redirect("catalog:list")


@require_POST
@portal_view("products.edit")
def product_unarchive(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_get(portal=current_portal(request), pk=pk)
    product = services.product_unarchive(product=product)
    messages.success(request, f"“{product.name}” is active again.")
    return redirect(product)


@portal_view("products.edit")
def product_import(request: HttpRequest) -> HttpResponse:
    form = ProductImportUploadForm(*submitted(request, files=True))
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = services.product_import(
                portal=current_portal(request), content=form.cleaned_data["file"]
            )
        except services.ProductImportError as exc:
            errors = exc.errors
        else:
            messages.success(request, f"Import finished: {result.summary}.")
            return redirect("catalog:list")
    return render(
        request,
        "catalog/product_import.html",
        {
            "form": form,
            "errors": errors[:MAX_ERRORS_SHOWN],
            "errors_hidden": max(0, len(errors) - MAX_ERRORS_SHOWN),
            "error_count": len(errors),
            "columns": COLUMN_HELP,
            "frequencies": BillingFrequency.choices,
            "max_rows": MAX_ROWS,
        },
    )


@portal_view("products.view")
def product_export(request: HttpRequest) -> HttpResponse:
    portal = current_portal(request)
    filename = f"products-{slugify(portal.name) or 'portal'}-{hub_today():%Y-%m-%d}.csv"
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    # A byte-order mark makes Excel read the file as UTF-8; the import accepts it.
    response.write("\ufeff")
    write_products_csv(selectors.product_export_queryset(portal=portal).iterator(), response)
    return response
