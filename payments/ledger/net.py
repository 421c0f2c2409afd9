"""A payment's net as known now, for the payments tool and the reports.

Fee sync (payments/fees/) copies Stripe's figures onto a payment: `net` is the charge's
net plus the nets of the refunds and dispute adjustments Stripe has reported, and
`stripe_refunded` the refunded total those refund transactions add up to. Between a
refund and the next sync, `refunded_amount` (which the hub counts as soon as Stripe
accepts the refund) is ahead of `stripe_refunded`, and `net` still names the old figure.

So the net shown is what is known now:
- Stripe's fee reported: `net` less the refunds Stripe has not reported yet (a refund's
  own fee, if any, counts once it is reported);
- not yet: gross less the application fee and the refunds; Stripe's fee is still to come.

Either way the figure is *pending* while Stripe has something left to report. The same
rule is written twice, once in Python for one payment and once as a query expression
for the reports' sums; a test holds them together.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import BigIntegerField, Case, F, Q, Value, When
from django.db.models.functions import Greatest

from payments.models import Payment


@dataclass(frozen=True, slots=True)
class NetNow:
    amount: int
    fee_pending: bool  # Stripe has not reported the charge's fee yet
    refunds_pending: int  # cents refunded that Stripe's balance has not reported yet

    @property
    def pending(self) -> bool:
        return self.fee_pending or self.refunds_pending > 0


def refunds_unreported(payment: Payment) -> int:
    if payment.stripe_refunded is None:
        return 0  # fee sync has not run, or predates the column: `net` is all we know
    return max(0, payment.refunded_amount - payment.stripe_refunded)


def payment_net_now(payment: Payment) -> NetNow:
    if payment.net is None:
        return NetNow(
            amount=payment.amount - payment.application_fee_amount - payment.refunded_amount,
            fee_pending=True,
            refunds_pending=payment.refunded_amount,
        )
    unreported = refunds_unreported(payment)
    return NetNow(amount=payment.net - unreported, fee_pending=False, refunds_pending=unreported)


# The same, per row of a payments query (summed by the reports).
NET_NOW = Case(
    When(
        net__isnull=True,
        then=F("amount") - F("application_fee_amount") - F("refunded_amount"),
    ),
    When(stripe_refunded__isnull=True, then=F("net")),
    default=F("net")
    - Greatest(F("refunded_amount") - F("stripe_refunded"), Value(0, BigIntegerField())),
    output_field=BigIntegerField(),
)
# Rows whose net is still pending: fee not reported, or refunds not reported yet. (Fee
# sync sets `fee` and `net` together; `fee` here, as the reports annotate a sum as "net".)
NET_PENDING = Q(fee__isnull=True) | Q(
    stripe_refunded__isnull=False, refunded_amount__gt=F("stripe_refunded")
)
