"""The readiness label over account payloads in Stripe's shapes (shared/stripe/STRIPE.md)."""

import pytest

from payments.connect.status import AccountStatus, account_status


def requirements(**overrides):
    base = {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": [],
        "disabled_reason": None,
        "errors": [],
        "eventually_due": [],
        "past_due": [],
        "pending_verification": [],
    }
    base.update(overrides)
    return base


def account(**overrides):
    base = {
        "id": "acct_1Test",
        "object": "account",
        "charges_enabled": False,
        "payouts_enabled": False,
        "details_submitted": False,
        "requirements": requirements(currently_due=["business_profile.url", "external_account"]),
    }
    base.update(overrides)
    return base


def test_no_account_is_not_connected():
    assert account_status(None) is AccountStatus.NOT_CONNECTED


def test_fresh_account_is_onboarding_incomplete():
    assert account_status(account()) is AccountStatus.ONBOARDING_INCOMPLETE


@pytest.mark.parametrize(
    "reason", ["rejected.fraud", "rejected.terms_of_service", "listed", "platform_paused"]
)
def test_rejected_listed_or_paused_is_restricted(reason):
    payload = account(details_submitted=True, requirements=requirements(disabled_reason=reason))
    assert account_status(payload) is AccountStatus.RESTRICTED


@pytest.mark.parametrize(
    "reqs",
    [
        requirements(past_due=["external_account"], disabled_reason="requirements.past_due"),
        requirements(
            currently_due=["individual.verification.document"], current_deadline=1_900_000_000
        ),
        requirements(disabled_reason="action_required.requested_capabilities"),
        requirements(past_due=["tos_acceptance.date"]),
    ],
)
def test_overdue_or_deadlined_information_is_action_required(reqs):
    payload = account(details_submitted=True, charges_enabled=True, requirements=reqs)
    assert account_status(payload) is AccountStatus.ACTION_REQUIRED


@pytest.mark.parametrize(
    "reqs",
    [
        requirements(
            pending_verification=["individual.id_number"],
            disabled_reason="requirements.pending_verification",
        ),
        requirements(disabled_reason="under_review"),
        None,  # Standard accounts may omit requirements entirely
    ],
)
def test_submitted_but_not_enabled_with_nothing_due_is_pending_verification(reqs):
    payload = account(details_submitted=True, charges_enabled=False, requirements=reqs)
    if reqs is None:
        payload.pop("requirements")
    assert account_status(payload) is AccountStatus.PENDING_VERIFICATION


def test_enabled_with_nothing_past_due_is_ready():
    payload = account(
        details_submitted=True,
        charges_enabled=True,
        payouts_enabled=True,
        requirements=requirements(),
    )
    assert account_status(payload) is AccountStatus.READY


def test_ready_without_requirements_key():
    payload = account(details_submitted=True, charges_enabled=True)
    payload.pop("requirements")
    assert account_status(payload) is AccountStatus.READY


def test_eventually_due_alone_does_not_block_a_ready_account():
    payload = account(
        details_submitted=True,
        charges_enabled=True,
        requirements=requirements(eventually_due=["company.tax_id"]),
    )
    assert account_status(payload) is AccountStatus.READY


def test_disconnected_wins_over_any_payload():
    payload = account(details_submitted=True, charges_enabled=True, requirements=requirements())
    assert account_status(payload, disconnected=True) is AccountStatus.DISCONNECTED
