"""Finalizing many invoices at once (needs PostgreSQL's row locks): gapless numbers."""

import threading

import pytest
from django.db import connection

from invoices import services
from invoices.models import Invoice, InvoiceSettings

THREADS = 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_finalizations_get_fifty_consecutive_numbers(
    postgres, make_invoice, portal
):
    drafts = [make_invoice() for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def finalize(invoice):
        try:
            barrier.wait()
            services.invoice_finalize(invoice=invoice, actor=None)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=finalize, args=(d,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = sorted(Invoice.objects.filter(portal=portal).values_list("number", flat=True))
    assert numbers == list(range(1, THREADS + 1))
    assert InvoiceSettings.objects.get(portal=portal).last_number == THREADS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_payment_racing_a_void_leaves_a_consistent_invoice(postgres, make_invoice):
    invoice = make_invoice(finalize=True)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(action):
        try:
            barrier.wait()
            action()
            outcomes.append("done")
        except services.InvoiceError:
            outcomes.append("refused")
        finally:
            connection.close()

    def void():
        services.invoice_void(invoice=invoice, actor=None)

    def pay():
        services.invoice_record_payment(
            invoice=invoice, actor=None, method="cash", amount=100, paid_on=invoice.issue_date
        )

    threads = [threading.Thread(target=run, args=(a,)) for a in (void, pay)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["done", "refused"]
    invoice.refresh_from_db()
    assert (invoice.status == "void") == (invoice.amount_paid == 0)
