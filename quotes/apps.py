from django.apps import AppConfig

from commerce.mail import register_attachment


class QuotesConfig(AppConfig):
    name = "quotes"
    verbose_name = "Quotes"

    def ready(self) -> None:
        from .emails import PDF_ATTACHMENT, quote_pdf_attachment

        # The core's mail task renders the PDF of a sent quote from its id, after commit.
        register_attachment(PDF_ATTACHMENT, quote_pdf_attachment)

        from payments.checkout.payables import register_payable

        from .payment import quote_checkout_paid, quote_document

        # The hosted checkout (payments) starts and completes a quote's payment through these.
        register_payable(source="quote", on_paid=quote_checkout_paid, describe=quote_document)

        from payments.payouts.origins import register_payment_origin

        from .payment import quote_payment_origins

        # A payout line links to the quote its payment paid.
        register_payment_origin(source="quote", resolve=quote_payment_origins)

        from commerce.events.services import register_snapshot

        from .events import quote_snapshot
        from .models import Quote

        # quote.* events carry this snapshot (commerce/events/).
        register_snapshot(Quote, quote_snapshot, object_type="quote")
