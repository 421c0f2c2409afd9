"""The Accounting page (billing admins and super admins): filters, what each export
holds, and the downloads; and the accounting settings (super admins)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from commerce.clock import hub_now
from commerce.documents.kinds import portal_today
from commerce.portals.access import current_portal, has_permission, portal_view

from . import exports, selectors, services
from .forms import AccountingSettingsForm, ExportFilterForm

SETTINGS_PERMISSION = "accounting.manage"


def _filter_form(request: HttpRequest) -> ExportFilterForm:
    today = portal_today(current_portal(request))
    return ExportFilterForm(request.GET or None, today=today)


@portal_view("accounting.view")
def index(request: HttpRequest) -> HttpResponse:
    portal = current_portal(request)
    form = _filter_form(request)
    filters = form.filters()
    if not form.is_bound or form.errors:
        form = ExportFilterForm(
            request.GET or None,
            today=form.today,
            initial={"start": filters.since, "end": filters.until},
        )
    counts = selectors.export_counts(portal=portal, filters=filters)
    download_query = request.GET.urlencode() if request.GET and not form.errors else ""
    context = {
        "form": form,
        "filters": filters,
        "counts": counts,
        "download_query": download_query,
        "xero_files": exports.file_count(exports.XERO_INVOICES, counts.invoices),
        "quickbooks_files": exports.file_count(exports.QUICKBOOKS_INVOICES, counts.invoices),
        "settings": services.accounting_settings_for(portal=portal),
        "can_edit_settings": has_permission(request, SETTINGS_PERMISSION),
        "limits": {
            "xero": exports.XERO_MAX_INVOICES,
            "quickbooks": exports.QUICKBOOKS_MAX_INVOICES,
        },
    }
    return render(request, "accounting/index.html", context)


def _download(request: HttpRequest, fmt: exports.Format) -> HttpResponse:
    portal = current_portal(request)
    form = _filter_form(request)
    if form.is_bound and not form.is_valid():
        messages.error(request, f"{form.errors_text()} Nothing was downloaded.")
        return redirect(f"{reverse('accounting:index')}?{request.GET.urlencode()}")
    filters = form.filters()
    if fmt is exports.QUICKBOOKS_PAYMENTS:
        items: list = selectors.payments_for_export(portal=portal, filters=filters)
    else:
        items = selectors.invoices_for_export(portal=portal, filters=filters)
    download = exports.build(
        fmt,
        items,
        services.accounting_settings_for(portal=portal),
        stamp=f"{filters.since:%Y%m%d}-{filters.until:%Y%m%d}",
    )
    response = HttpResponse(download.body, content_type=download.content_type)
    response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    response["X-Generated-At"] = hub_now().isoformat()
    return response


@portal_view("accounting.view")
def export_quickbooks_invoices(request: HttpRequest) -> HttpResponse:
    return _download(request, exports.QUICKBOOKS_INVOICES)


@portal_view("accounting.view")
def export_quickbooks_payments(request: HttpRequest) -> HttpResponse:
    return _download(request, exports.QUICKBOOKS_PAYMENTS)


@portal_view("accounting.view")
def export_xero_invoices(request: HttpRequest) -> HttpResponse:
    return _download(request, exports.XERO_INVOICES)


@portal_view(SETTINGS_PERMISSION)
def accounting_settings(request: HttpRequest) -> HttpResponse:
    portal = current_portal(request)
    current = services.accounting_settings_for(portal=portal)
    initial = {name: getattr(current, name) for name in AccountingSettingsForm().fields}
    form = AccountingSettingsForm(
        request.POST if request.method == "POST" else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.accounting_settings_update(portal=portal, **form.cleaned_data)
        except services.AccountingError as exc:
            for field, message in exc.errors.items():
                form.add_error(field, message)
        else:
            messages.success(request, "Accounting settings saved.")
            return redirect("accounting_settings:edit")
    return render(request, "accounting/settings.html", {"form": form})
