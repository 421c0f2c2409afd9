from django.apps import AppConfig

from commerce.mail import register_attachment


class InvoicesConfig(AppConfig):
    name = "invoices"
    verbose_name = "Invoices"

    def ready(self) -> None:
        from .emails import PDF_ATTACHMENT, invoice_pdf_attachment

        # The core's mail task renders the PDF of a sent invoice from its id, after commit.
        register_attachment(PDF_ATTACHMENT, invoice_pdf_attachment)

        from payments.checkout.payables import register_payable

        from .payment import invoice_checkout_paid, invoice_document

        # The hosted checkout (payments) starts and completes an invoice's payment through these.
        register_payable(source="invoice", on_paid=invoice_checkout_paid, describe=invoice_document)

        from payments.payouts.origins import register_payment_origin

        from .payment import invoice_payment_origins

        # A payout line links to the invoice its payment paid.
        register_payment_origin(source="invoice", resolve=invoice_payment_origins)

        from commerce.events.services import register_snapshot

        from .events import invoice_snapshot
        from .models import Invoice

        # invoice.* events carry this snapshot (commerce/events/).
        register_snapshot(Invoice, invoice_snapshot, object_type="invoice")
