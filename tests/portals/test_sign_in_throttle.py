"""Sign-in throttling: too many wrong passwords for one account (from anywhere) or from
one address (over any accounts) pause signing in for a cool-off, on the hub's sign-in
page and on /admin/login/ alike, without telling known e-mails from unknown ones."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.management import call_command

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed sign-ins"
WRONG = "match an account"


def sign_in(client, email, password, address="198.51.100.1", path="/login/"):
    return client.post(path, {"username": email, "password": password}, REMOTE_ADDR=address)


def fail(client, email, times, address="198.51.100.1", path="/login/"):
    return [sign_in(client, email, "wrong-password", address, path) for _ in range(times)]


def test_wrong_passwords_lock_the_account_until_the_cool_off_has_passed(
    client, super_admin, settings
):
    limit = settings.SIGN_IN_FAILURES_PER_ACCOUNT
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        # Given one wrong password fewer than the limit: the usual message, no lockout
        for response in fail(client, super_admin.email, limit - 1):
            assert response.status_code == 200
            assert WRONG in response.content.decode()

        # When the limit is reached
        locked = sign_in(client, super_admin.email, "wrong-password")

        # Then the sign-in page says why, in words, and for how long
        assert locked.status_code == 429
        page = locked.content.decode()
        assert LOCKED in page and f"{settings.SIGN_IN_COOL_OFF_MINUTES} minutes" in page
        assert "<title>" in page and "Commerce Hub" in page  # the hub's own page
        assert int(locked["Retry-After"]) == settings.SIGN_IN_COOL_OFF_MINUTES * 60
        # And the right password is refused as well
        refused = sign_in(client, super_admin.email, PASSWORD)
        assert refused.status_code == 429 and LOCKED in refused.content.decode()
        assert "_auth_user_id" not in client.session

        # Until the cool-off has passed
        clock.shift(dt.timedelta(minutes=settings.SIGN_IN_COOL_OFF_MINUTES - 1))
        assert sign_in(client, super_admin.email, PASSWORD).status_code == 429
        clock.shift(dt.timedelta(minutes=2))
        signed_in = sign_in(client, super_admin.email, PASSWORD)
        assert signed_in.status_code == 302 and signed_in["Location"] == "/"


def test_the_account_is_locked_however_the_e_mail_is_written(client, super_admin, settings):
    spellings = [super_admin.email.upper(), f" {super_admin.email} ", super_admin.email.title()]
    for i in range(settings.SIGN_IN_FAILURES_PER_ACCOUNT):
        sign_in(client, spellings[i % len(spellings)], "wrong-password")

    assert sign_in(client, super_admin.email, PASSWORD).status_code == 429


def test_wrong_passwords_from_twenty_addresses_lock_the_account(client, super_admin):
    responses = [
        sign_in(client, super_admin.email, "wrong-password", address=f"203.0.113.{i}")
        for i in range(1, 21)
    ]

    assert responses[0].status_code == 200
    assert responses[-1].status_code == 429
    refused = sign_in(client, super_admin.email, PASSWORD, address="192.0.2.200")
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session


def test_wrong_passwords_over_many_accounts_lock_the_address(client, settings):
    limit = settings.SIGN_IN_FAILURES_PER_CLIENT
    assert limit > settings.SIGN_IN_FAILURES_PER_ACCOUNT  # an office shares one address
    users = [UserFactory(email=f"person{i}@acme.test") for i in range(limit + 1)]
    # Each account stays under its own limit
    responses = [sign_in(client, u.email, "wrong-password") for u in users[:limit]]

    assert [r.status_code for r in responses[:-1]] == [200] * (limit - 1)
    assert responses[-1].status_code == 429
    # The address is paused for every account, right password or not
    assert sign_in(client, users[-1].email, PASSWORD).status_code == 429
    # Another address is not
    assert sign_in(client, users[-1].email, PASSWORD, address="192.0.2.9").status_code == 302


def test_an_unknown_e_mail_gets_the_same_answers_as_a_known_one(client, super_admin, settings):
    known = fail(client, super_admin.email, settings.SIGN_IN_FAILURES_PER_ACCOUNT + 1)
    unknown = fail(
        client, "nobody@acme.test", settings.SIGN_IN_FAILURES_PER_ACCOUNT + 1, "192.0.2.7"
    )

    assert [r.status_code for r in known] == [r.status_code for r in unknown]
    assert known[-1].status_code == 429
    assert known[-1].content == unknown[-1].content
    assert WRONG in known[0].content.decode() and WRONG in unknown[0].content.decode()


class CountingHasher(MD5PasswordHasher):
    """Counts how often a password is hashed (checking one hashes it too)."""

    hashed = 0

    def encode(self, password, salt):
        CountingHasher.hashed += 1
        return super().encode(password, salt)


def _hashings(client, email, address):
    before = CountingHasher.hashed
    sign_in(client, email, "wrong-password", address)
    return CountingHasher.hashed - before


def test_a_wrong_password_costs_the_same_for_unknown_and_known_e_mails(
    client, super_admin, settings
):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]

    assert _hashings(client, super_admin.email, "192.0.2.1") == 1
    assert _hashings(client, "nobody@acme.test", "192.0.2.2") == 1


def test_signing_in_clears_the_failures(client, super_admin, settings):
    limit = settings.SIGN_IN_FAILURES_PER_ACCOUNT
    fail(client, super_admin.email, limit - 1)
    assert sign_in(client, super_admin.email, PASSWORD).status_code == 302
    client.post("/logout/")

    # A fresh allowance: as many mistakes again without a lockout, and no more
    for response in fail(client, super_admin.email, limit - 1):
        assert response.status_code == 200
    assert sign_in(client, super_admin.email, "wrong-password").status_code == 429


def test_signing_into_ones_own_account_does_not_clear_the_addresss_failures(client, settings):
    """Otherwise an attacker with one account could guess others' passwords forever."""
    limit = settings.SIGN_IN_FAILURES_PER_CLIENT
    own = UserFactory(email="own@acme.test")
    others = [UserFactory(email=f"victim{i}@acme.test") for i in range(limit)]
    for victim in others[:-1]:
        sign_in(client, victim.email, "wrong-password")
    assert sign_in(client, own.email, PASSWORD).status_code == 302
    client.post("/logout/")

    assert sign_in(client, others[-1].email, "wrong-password").status_code == 429


def test_admin_sign_in_is_throttled_too(client, django_user_model, settings):
    root = django_user_model.objects.create_superuser(email="root@acme.test", password=PASSWORD)
    responses = fail(
        client, root.email, settings.SIGN_IN_FAILURES_PER_ACCOUNT, path="/admin/login/"
    )

    assert responses[0].status_code == 200
    assert responses[-1].status_code == 429 and LOCKED in responses[-1].content.decode()
    refused = sign_in(client, root.email, PASSWORD, path="/admin/login/")
    assert refused.status_code == 429
    assert client.get("/admin/").status_code == 302  # still not signed in


def test_the_operator_unlocks_an_account_with_a_command(client, super_admin, settings):
    fail(client, super_admin.email, settings.SIGN_IN_FAILURES_PER_ACCOUNT)
    assert sign_in(client, super_admin.email, PASSWORD).status_code == 429

    call_command("axes_reset_username", super_admin.email)

    assert sign_in(client, super_admin.email, PASSWORD).status_code == 302


def test_locked_accounts_are_listed_in_the_admin_for_the_operator(client, super_admin, settings):
    fail(client, super_admin.email, settings.SIGN_IN_FAILURES_PER_ACCOUNT)
    root = type(super_admin).objects.create_superuser(email="root@acme.test", password=PASSWORD)
    client.force_login(root)

    page = client.get("/admin/axes/accessattempt/")

    assert page.status_code == 200
    assert super_admin.email in page.content.decode()


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(client, settings):
    settings.BEHIND_PROXY = True
    limit = settings.SIGN_IN_FAILURES_PER_CLIENT
    users = [UserFactory(email=f"person{i}@acme.test") for i in range(limit + 1)]

    def through_proxy(email, password, forwarded_for):
        return client.post(
            "/login/",
            {"username": email, "password": password},
            REMOTE_ADDR="10.0.0.2",  # every request comes from the proxy
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )

    # People at many addresses mistyping once each pause no one
    for i, user in enumerate(users[:limit]):
        through_proxy(user.email, "wrong-password", f"203.0.113.{i}")
    assert through_proxy(users[-1].email, PASSWORD, "192.0.2.1").status_code == 302
    client.post("/logout/")

    # One client writing made-up addresses in front of the proxy's entry is one client
    responses = [
        through_proxy(user.email, "wrong-password", f"198.51.100.{i}, 192.0.2.66")
        for i, user in enumerate(users[:limit])
    ]
    assert responses[-1].status_code == 429
