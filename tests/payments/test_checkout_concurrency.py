"""Two buyers race for a single-use link on PostgreSQL: exactly one may pay."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from payments import checkout as checkout_service
from payments.models import Checkout
from tests.payments.support import (
    confirm,
    intents_on,
    make_link,
)


@pytest.mark.postgres
def test_two_buyers_race_for_a_single_use_link_and_exactly_one_is_charged(
    postgres, transactional_db, stripe_hub, ready_account, portal
):
    link = checkout_service.public_link(make_link(portal, single_use=True).slug)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def buyer(name: str) -> None:
        try:
            barrier.wait()
            outcomes[name] = checkout_service.checkout_start(
                link=link,
                session_key=f"session-{name}",
                buyer=checkout_service.Buyer(email=f"{name}@example.org", name=name),
            )
        except checkout_service.CheckoutError as exc:
            outcomes[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=buyer, args=(n,)) for n in ("ann", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    winners = [o for o in outcomes.values() if isinstance(o, Checkout)]
    losers = [o for o in outcomes.values() if isinstance(o, checkout_service.LinkUnavailable)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert losers[0].user_message == "This link has already been used."
    # The loser was refused before any PaymentIntent existed for them.
    assert len(intents_on(stripe_hub, ready_account.stripe_id)) == 1
    assert confirm(stripe_hub, winners[0])["status"] == "succeeded"
    checkout_service.checkout_sync(checkout=winners[0])
    assert Checkout.objects.get(pk=winners[0].pk).status == "succeeded"
