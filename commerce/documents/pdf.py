"""The PDF base of every document: WeasyPrint renders the same document template as the
public page, inside `components/pdf_base.html` (page footer, brand bar with the logo)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone

from commerce.clock import zone
from commerce.mail import Attachment, AttachmentRenderer
from commerce.portals.models import Portal


def portal_logo_data_uri(portal: Portal) -> str:
    """The portal's logo inlined for WeasyPrint."""
    if not portal.has_logo or not portal.logo:
        return ""
    return f"data:{portal.logo_content_type};base64,{base64.b64encode(bytes(portal.logo)).decode()}"


def document_html(template: str, *, portal: Portal, **context: Any) -> str:
    """A document's PDF page as HTML: `template` extends components/pdf_base.html. Its
    dates read in the portal's time zone (the mail task that renders it has none)."""
    with timezone.override(zone(portal.time_zone)):
        return render_to_string(
            template, {"portal": portal, "logo_src": portal_logo_data_uri(portal), **context}
        )


def html_to_pdf(html: str) -> bytes:
    # WeasyPrint is heavy to import: only the processes that render a PDF load it.
    from weasyprint import HTML

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def pdf_attachment(model: type[models.Model], render: Callable[[Any], bytes]) -> AttachmentRenderer:
    """The renderer of a kind's PDF as an e-mail attachment, which its app registers
    (commerce.mail.register_attachment). The mail task runs it after the send has
    committed: WeasyPrint is too slow to run while the document's row is locked."""

    def render_attachment(document_id: int) -> Attachment:
        document: Any = model._default_manager.select_related("portal", "contact").get(
            pk=document_id
        )
        return f"{document.display_number}.pdf", render(document), "application/pdf"

    return render_attachment
