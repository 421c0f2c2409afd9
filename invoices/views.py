"""The seller's invoice pages: list (with totals and CSV export), editor, detail and
transitions. Each view parses, authorizes through the portal, calls one service or
selector, and renders. The buyer's pages are in `public_views`."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from commerce import money
from commerce.clock import hub_now
from commerce.documents import views as documents
from commerce.documents.forms import SendForm, line_rows
from commerce.forms import submitted
from commerce.portals.access import current_portal, has_permission, portal_view
from commerce.portals.http import AuthenticatedHttpRequest
from quotes.selectors import quote_get

from . import emails, selectors, services
from .csv_io import write_invoices_csv, write_payments_csv
from .forms import (
    ExportForm,
    InvoiceFilterForm,
    InvoiceForm,
    InvoiceLineFormSet,
    InvoiceSettingsForm,
    PaymentForm,
    ReasonForm,
)
from .models import Invoice, InvoiceStatus
from .pdf import render_invoice_pdf


@portal_view("invoices.view")
def invoice_list(request: HttpRequest) -> HttpResponse:
    portal = current_portal(request)
    filters = InvoiceFilterForm(request.GET)
    values = filters.values()
    listing = selectors.invoice_list_page(
        portal=portal, page_number=request.GET.get("page"), **values
    )
    return render(
        request,
        "invoices/list.html",
        {
            "filters": filters,
            "values": values,
            "page_obj": listing.page,
            "is_empty": listing.is_empty,
            "summary": selectors.invoice_summary(portal=portal),
            "today": services.portal_today(portal),
        },
    )


def _editor(request: AuthenticatedHttpRequest, invoice: Invoice | None) -> HttpResponse:
    portal = current_portal(request)
    if invoice is None:
        initial = {
            "issue_date": services.portal_today(portal),
            "memo": services.invoice_settings_for(portal=portal).default_memo,
            "contact": request.GET.get("contact") or None,
        }
        form = InvoiceForm(*submitted(request), portal=portal, initial=initial)
    else:
        form = InvoiceForm(*submitted(request), portal=portal, invoice=invoice)
    lines = line_rows(InvoiceLineFormSet, request, portal=portal, document=invoice)
    actor = request.user
    return documents.editor_response(
        request,
        invoice,
        template="invoices/editor.html",
        form=form,
        lines=lines,
        create=partial(services.invoice_create, portal=portal, actor=actor),
        update=partial(services.invoice_update, invoice=invoice, actor=actor) if invoice else None,
        created=lambda invoice: "Invoice saved as a draft.",
        price=services.price_invoice_lines,
        contents=selectors.invoice_document,
        context={"invoice": invoice},
    )


@portal_view("invoices.edit")
def invoice_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _editor(request, None)


@portal_view("invoices.edit")
def invoice_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.invoice_get(portal=current_portal(request), pk=pk)
    if invoice.is_locked:
        messages.error(
            request,
            f"{invoice.display_number} is {invoice.get_status_display().lower()}: a finalized "
            "invoice cannot be edited. Void it and duplicate it to bill differently.",
        )
        return redirect(invoice)
    return _editor(request, invoice)


@require_POST
@portal_view("invoices.edit")
def invoice_preview(request: HttpRequest) -> JsonResponse:
    """Live totals for the editor (the document editor's script calls it)."""
    lines = line_rows(InvoiceLineFormSet, request, portal=current_portal(request))
    preview = documents.typed_preview(lines, services.price_invoice_lines)
    return documents.preview_response(request, lines, preview)


@portal_view("invoices.view")
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.invoice_detail(portal=current_portal(request), pk=pk)
    return _detail_page(request, invoice)


def _detail_page(
    request: HttpRequest, invoice: Invoice, *, payment_form: PaymentForm | None = None
) -> HttpResponse:
    """The invoice's page; with `payment_form`, the refused manual payment as typed, its
    errors shown and its form open (400)."""
    portal = current_portal(request)
    # The amount is never pre-filled: recording the whole amount due must be typed.
    payment_form = payment_form or PaymentForm(initial={"paid_on": services.portal_today(portal)})
    return render(
        request,
        "invoices/detail.html",
        {
            "doc": selectors.invoice_document(invoice),
            "invoice": invoice,
            "events": selectors.invoice_events(invoice),
            "payments": selectors.invoice_payments(invoice),
            "can_edit": has_permission(request, "invoices.edit"),
            "can_record": has_permission(request, "invoices.payments"),
            "can_void": has_permission(request, "invoices.void"),
            "payment_form": payment_form,
            "public_url": emails.public_url(invoice) if invoice.public_token else "",
        },
        status=400 if payment_form.is_bound else 200,
    )


def _errors_text(form: Any) -> str:
    """A bound form's errors as one sentence for a flash message."""
    parts = []
    for name, errors in form.errors.items():
        text = " ".join(str(e) for e in errors)
        parts.append(text if name == "__all__" else f"{form.fields[name].label}: {text}")
    return "; ".join(parts)


def _act(
    request: AuthenticatedHttpRequest, pk: int, action: Callable[[Invoice], tuple[Invoice, str]]
) -> HttpResponse:
    invoice = selectors.invoice_get(portal=current_portal(request), pk=pk)
    try:
        invoice, note = action(invoice)
    except services.InvoiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, note)
    return redirect(invoice)


@require_POST
@portal_view("invoices.edit")
def invoice_finalize(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    def action(invoice: Invoice) -> tuple[Invoice, str]:
        invoice = services.invoice_finalize(invoice=invoice, actor=request.user)
        return invoice, f"{invoice.display_number} is finalized. Send it to the contact."

    return _act(request, pk, action)


@require_POST
@portal_view("invoices.edit")
def invoice_send(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    form = SendForm(request.POST)
    message = form.cleaned_data["message"] if form.is_valid() else ""

    def action(invoice: Invoice) -> tuple[Invoice, str]:
        invoice = emails.invoice_send(invoice=invoice, actor=request.user, message=message)
        to = invoice.contact.email if invoice.contact else "the contact"
        return invoice, f"{invoice.display_number} is on its way to {to}."

    return _act(request, pk, action)


@require_POST
@portal_view("invoices.edit")
def invoice_duplicate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    def action(invoice: Invoice) -> tuple[Invoice, str]:
        copy = services.invoice_duplicate(invoice=invoice, actor=request.user)
        return copy, f"Copied {invoice.display_number} to a new draft."

    return _act(request, pk, action)


@require_POST
@portal_view("invoices.void")
def invoice_void(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""

    def action(invoice: Invoice) -> tuple[Invoice, str]:
        invoice = services.invoice_void(invoice=invoice, actor=request.user, reason=reason)
        return invoice, f"{invoice.display_number} is void; its page tells the buyer."

    return _act(request, pk, action)


@require_POST
@portal_view("invoices.void")
def invoice_uncollectible(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""

    def action(invoice: Invoice) -> tuple[Invoice, str]:
        invoice = services.invoice_mark_uncollectible(
            invoice=invoice,
            actor=request.user,
            reason=reason,
        )
        return invoice, f"{invoice.display_number} is marked uncollectible; reminders stop."

    return _act(request, pk, action)


@require_POST
@portal_view("invoices.payments")
def payment_record(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.invoice_get(portal=current_portal(request), pk=pk)
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            payment = services.invoice_record_payment(
                invoice=invoice, actor=request.user, **form.cleaned_data
            )
        except services.InvoiceError as exc:
            form.add_error(None, str(exc))
        else:
            amount = money.format_cents(payment.amount, invoice.currency)
            messages.success(request, f"Recorded {amount} on {payment.invoice.display_number}.")
            return redirect(payment.invoice)
    # Shown again as typed, with what is wrong, on the invoice as it now is.
    invoice = selectors.invoice_detail(portal=current_portal(request), pk=pk)
    return _detail_page(request, invoice, payment_form=form)


@require_http_methods(["GET", "HEAD", "POST"])
@portal_view("invoices.payments")
def payment_delete(request: AuthenticatedHttpRequest, pk: int, payment_pk: int) -> HttpResponse:
    """GET: the confirmation step (a page, so it works without JavaScript; the detail
    page opens the same form in a dialog). POST deletes only with the confirmation's
    `confirm` field; without it, it shows the confirmation."""
    if request.method == "POST" and request.POST.get("confirm") == "delete":
        return _payment_delete(request, pk, payment_pk)
    payment = selectors.invoice_payment_get(
        portal=current_portal(request), invoice_pk=pk, payment_pk=payment_pk
    )
    return render(
        request, "invoices/payment_delete.html", {"invoice": payment.invoice, "payment": payment}
    )


def _payment_delete(request: AuthenticatedHttpRequest, pk: int, payment_pk: int) -> HttpResponse:
    def action(invoice: Invoice) -> tuple[Invoice, str]:
        invoice = services.invoice_delete_payment(
            invoice=invoice,
            actor=request.user,
            payment_id=payment_pk,
        )
        return (
            invoice,
            f"Payment deleted; {invoice.display_number} is {invoice.get_status_display().lower()}.",
        )

    return _act(request, pk, action)


@require_POST
@portal_view("invoices.edit")
def invoice_from_quote(request: AuthenticatedHttpRequest, quote_pk: int) -> HttpResponse:
    quote = quote_get(portal=current_portal(request), pk=quote_pk)
    try:
        invoice = services.invoice_create_from_quote(quote=quote, actor=request.user)
    except services.InvoiceError as exc:
        messages.error(request, str(exc))
        return redirect(quote)
    messages.success(
        request, f"Draft invoice created from {quote.display_number}. Check it, then finalize."
    )
    return redirect(invoice)


@portal_view("invoices.view")
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.invoice_detail(portal=current_portal(request), pk=pk)
    return pdf_response(invoice)


def pdf_response(invoice: Invoice) -> HttpResponse:
    name = invoice.display_number if invoice.number is not None else f"draft-invoice-{invoice.pk}"
    return documents.pdf_response(render_invoice_pdf(invoice), name)


def _csv(request: HttpRequest, kind: str) -> HttpResponse:
    portal = current_portal(request)
    form = ExportForm(request.GET)
    if not form.is_valid():
        messages.error(request, _errors_text(form))
        return redirect("invoices:index")
    buffer = io.StringIO()
    if kind == "invoices":
        filters = InvoiceFilterForm(request.GET).values()
        filters.pop("status")
        invoices = selectors.invoice_export_queryset(portal=portal, **form.cleaned_data, **filters)
        write_invoices_csv(invoices.iterator(), buffer)
    else:
        write_payments_csv(
            selectors.payment_export_queryset(portal=portal, **form.cleaned_data).iterator(), buffer
        )
    stamp = hub_now().strftime("%Y%m%d")
    return HttpResponse(
        buffer.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{kind}-{stamp}.csv"'},
    )


@portal_view("invoices.view")
def export_invoices(request: HttpRequest) -> HttpResponse:
    return _csv(request, "invoices")


@portal_view("invoices.view")
def export_payments(request: HttpRequest) -> HttpResponse:
    return _csv(request, "payments")


@portal_view("portal.edit")
def invoice_settings(request: HttpRequest) -> HttpResponse:
    portal = current_portal(request)
    current = services.invoice_settings_for(portal=portal)
    initial = {
        name: getattr(current, name)
        for name in InvoiceSettingsForm.base_fields
        if name != "number_prefix"
    }
    form = InvoiceSettingsForm(
        request.POST if request.method == "POST" else None,
        initial={**initial, "number_prefix": current.prefix},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.invoice_settings_update(
                portal=portal, prefix=data.pop("number_prefix"), **data
            )
        except services.InvoiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Invoice settings saved.")
            return redirect("invoices:settings")
    return render(
        request,
        "invoices/settings.html",
        {"form": form, "statuses": InvoiceStatus.choices, "next_number": current.last_number + 1},
    )
