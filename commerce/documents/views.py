"""View pieces every document shares: the editor (its save flow, product picker and live
totals), the PDF download, and the headers of a buyer's page (the token is in its URL)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string

from commerce import money
from commerce.catalog.selectors import product_search
from commerce.portals.models import Portal

from .forms import BaseLineFormSet
from .lines import DocumentError, LineInput
from .pricing import DocumentTotals

Preview = dict[str, Any]  # {"totals": DocumentTotals | None, "problem": str}


def editor_response(
    request: HttpRequest,
    document: Any | None,
    *,
    template: str,
    form: Any,
    lines: BaseLineFormSet,
    create: Callable[..., Any],
    update: Callable[..., Any] | None,
    created: Callable[[Any], str],
    price: Callable[[Sequence[LineInput]], DocumentTotals],
    contents: Callable[[Any], Any],
    context: dict[str, Any],
) -> HttpResponse:
    """The editor of `document` (None: a new one). A valid submission calls the kind's
    service, `create` or `update` (None for a new document), with `lines=` and the form's
    `service_kwargs()`, says so (`created(document)` for a new one) and goes on to the
    document's page; the kind's refusal shows above the form. "Update totals" (the editor
    without JavaScript) prices what is typed and saves nothing. `contents(document)` is a
    stored document's page contents, for its totals."""
    posted = request.method == "POST"
    recalculate = "recalculate" in request.POST
    problem = ""
    if posted and not recalculate and form.is_valid() and lines.is_valid():
        try:
            if update is None:
                saved = create(lines=lines.line_inputs(), **form.service_kwargs())
                messages.success(request, created(saved))
            else:
                saved = update(lines=lines.line_inputs(), **form.service_kwargs())
                messages.success(request, "Changes saved.")
        except DocumentError as exc:
            problem = str(exc)
        else:
            return redirect(saved)
    if posted:
        preview = typed_preview(lines, price)
    else:
        preview = saved_preview(contents(document) if document else None)
    return render(
        request,
        template,
        {
            **context,
            "form": form,
            "lines": lines,
            "problem": problem,
            "preview": preview,
            "products_json": products_json(lines.portal),
        },
        status=400 if posted and not recalculate else 200,
    )


def products_json(portal: Portal) -> list[dict[str, Any]]:
    """The product library as the editor's script fills a line from it."""
    return [
        {
            "id": p.pk,
            "name": p.name,
            "sku": p.sku,
            "description": p.description,
            "unit_price": str(money.to_decimal(p.unit_price)),
            "billing_frequency": p.billing_frequency,
            "term_periods": p.term_periods,
        }
        for p in product_search(portal=portal)
    ]


def typed_preview(
    lines: BaseLineFormSet, price: Callable[[Sequence[LineInput]], DocumentTotals]
) -> Preview:
    """Totals of what is being typed, priced on the server (nothing is saved)."""
    if not lines.is_valid():
        return {"totals": None, "problem": "Correct the highlighted lines to see the totals."}
    try:
        totals = price(lines.line_inputs())
    except DocumentError as exc:
        return {"totals": None, "problem": str(exc)}
    return {"totals": totals, "problem": ""}


def saved_preview(contents: Any | None) -> Preview:
    """The totals box of a stored document (its page's contents), or of a new one."""
    if contents is None:
        return {"totals": None, "problem": ""}
    return {"totals": contents.totals, "problem": contents.problem}


def preview_response(
    request: HttpRequest, lines: BaseLineFormSet, preview: Preview
) -> JsonResponse:
    """The editor's live totals: the totals box and each kept line's amount."""
    line_totals: dict[str, str] = {}
    if preview["totals"] is not None:
        kept = [f for f in lines.ordered_forms if f.cleaned_data]
        for f, amount in zip(kept, preview["totals"].line_amounts, strict=True):
            line_totals[f.prefix] = money.format_cents(amount)
    html = render_to_string("documents/_totals.html", {"preview": preview}, request=request)
    return JsonResponse({"html": html, "lines": line_totals, "problem": preview["problem"]})


def pdf_response(pdf: bytes, filename: str, *, inline: bool = False) -> HttpResponse:
    disposition = "inline" if inline else "attachment"
    return HttpResponse(
        pdf,
        content_type="application/pdf",
        headers={
            "Content-Disposition": f'{disposition}; filename="{filename}.pdf"',
            "X-Robots-Tag": "noindex",
        },
    )


def for_buyer(response: HttpResponse) -> HttpResponse:
    """A page or file behind a document's token: not indexed, the token never sent on."""
    response["X-Robots-Tag"] = "noindex"
    # The token is in the URL: never send it to other sites ("no-referrer" would make
    # browsers post "Origin: null", which fails the CSRF check).
    response["Referrer-Policy"] = "same-origin"
    return response
