"""The documents core: what quotes and invoices (and, for their line snapshots, payment
links and subscription items) share, written once.

    models.py     the abstract line snapshot and timeline entry
    lines.py      a line as entered (LineInput), its checks, the kinds' error base
    pricing.py    a document's totals (DocumentTotals) on top of commerce.pricing
    kinds.py      DocumentKind: locking, numbering, transitions, lines, timeline, sending
    selectors.py  list pages, lookups by id or token, search, contacts
    forms.py      the editor's line rows, discounts and the send form
    views.py      the editor's flow and live totals, PDF and buyer-page responses
    pdf.py        the PDF base: logo, rendering, the e-mail attachment renderer

Templates: templates/documents/ (page, detail and editor bases, totals, lines, timeline,
share card, dialogs, CSS). A kind (quotes.kind, invoices.kind) keeps only what differs.
"""
