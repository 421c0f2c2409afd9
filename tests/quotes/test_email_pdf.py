"""The quote PDF is rendered by the mail task after commit, not under the row lock."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from weasyprint import HTML

from quotes import emails

# Real transactions: "after commit" must mean what it means in production.
pytestmark = pytest.mark.django_db(transaction=True)


def test_the_quote_pdf_is_rendered_after_the_send_commits(make_quote, sales_rep, monkeypatch):
    in_transaction: list[bool] = []
    write_pdf = HTML.write_pdf

    def recording_write_pdf(self, *args, **kwargs):
        in_transaction.append(transaction.get_connection().in_atomic_block)
        return write_pdf(self, *args, **kwargs)

    monkeypatch.setattr(HTML, "write_pdf", recording_write_pdf)
    quote = make_quote(publish=True)

    emails.quote_send(quote=quote, actor=sales_rep)

    assert in_transaction == [False]
    [sent] = mail.outbox
    name, content, mimetype = sent.attachments[0]
    assert (name, mimetype) == (f"{quote.display_number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
