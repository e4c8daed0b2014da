"""Staff sign-in is throttled per account and per client address: past the allowed failures
a lock-out refuses every sign-in of the account, or from the address, even with the right
password, until it ends or an owner lifts it (`manage.py unlock_staff`)."""

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from kizuna.accounts import services
from kizuna.accounts.models import SignInLockout, StaffUser
from kizuna.core import throttle

pytestmark = pytest.mark.django_db

PASSWORD = "a long operator password"
LOCKED = "Too many failed sign-ins"


@pytest.fixture
def operator() -> StaffUser:
    return StaffUser.objects.create_superuser("ops@kizuna.example", PASSWORD)


def sign_in(email: str, password: str, address: str = "203.0.113.7") -> Any:
    client = Client(REMOTE_ADDR=address)
    return client.post(
        "/admin/login/", {"username": email, "password": password, "next": "/admin/"}
    )


def signed_in(response: Any) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def test_five_failures_lock_the_account_even_for_the_right_password(operator: StaffUser) -> None:
    for _ in range(4):
        response = sign_in(operator.email, "wrong")
        assert response.status_code == 200
        assert LOCKED not in response.content.decode()
    assert signed_in(sign_in(operator.email, PASSWORD))  # four failures: not locked
    for _ in range(5):
        sign_in(operator.email, "wrong")

    refused = sign_in(operator.email, PASSWORD)

    assert refused.status_code == 200
    assert LOCKED in refused.content.decode()
    lockout = SignInLockout.objects.get()
    assert (lockout.kind, lockout.subject, lockout.failures) == ("account", operator.email, 5)
    # From another address too: the account is locked, whoever asks.
    assert not signed_in(sign_in(operator.email, PASSWORD, address="198.51.100.1"))


def test_a_success_clears_the_accounts_failures(operator: StaffUser) -> None:
    for _ in range(3):
        for _ in range(4):
            sign_in(operator.email, "wrong")
        assert signed_in(sign_in(operator.email, PASSWORD))
    assert not SignInLockout.objects.exists()


def test_unknown_accounts_lock_the_same_way(db: None) -> None:
    """Whether an email is a staff user's is not told by the lock-out."""
    for _ in range(5):
        sign_in("nobody@kizuna.example", "guess")
    assert LOCKED in sign_in("nobody@kizuna.example", "guess").content.decode()
    assert SignInLockout.objects.get().subject == "nobody@kizuna.example"


def test_an_address_trying_many_accounts_is_locked(operator: StaffUser, settings: Any) -> None:
    settings.KIZUNA_SIGNIN_FAILURES_PER_ADDRESS = 6
    for n in range(6):
        sign_in(f"user{n}@kizuna.example", "guess")  # one failure per account: none locked

    assert not signed_in(sign_in(operator.email, PASSWORD))
    assert SignInLockout.objects.get().kind == "address"
    assert signed_in(sign_in(operator.email, PASSWORD, address="198.51.100.1"))


def test_a_lockout_ends_by_itself(
    operator: StaffUser, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(5):
        sign_in(operator.email, "wrong")
    assert not signed_in(sign_in(operator.email, PASSWORD))
    later = datetime.now(UTC) + timedelta(seconds=settings.KIZUNA_SIGNIN_LOCKOUT_SECONDS + 1)
    monkeypatch.setattr(services, "now", lambda: later)
    assert signed_in(sign_in(operator.email, PASSWORD))


def test_an_owner_lifts_a_lockout_with_a_command(operator: StaffUser) -> None:
    for _ in range(5):
        sign_in(operator.email, "wrong")
    out = io.StringIO()

    call_command("unlock_staff", "OPS@kizuna.example", stdout=out)

    assert out.getvalue().strip() == "lifted 1 lock-out"
    lockout = SignInLockout.objects.get()
    assert lockout.lifted_at is not None and lockout.lifted_by == "manage.py unlock_staff"
    assert signed_in(sign_in(operator.email, PASSWORD))
    out = io.StringIO()
    call_command("unlock_staff", operator.email, stdout=out)
    assert "no lock-out in force" in out.getvalue()


def test_the_command_lifts_an_address_lockout_too(operator: StaffUser, settings: Any) -> None:
    settings.KIZUNA_SIGNIN_FAILURES_PER_ADDRESS = 2
    sign_in("a@kizuna.example", "guess")
    sign_in("b@kizuna.example", "guess")
    assert not signed_in(sign_in(operator.email, PASSWORD))

    call_command("unlock_staff", operator.email, "--address", "203.0.113.7", stdout=io.StringIO())

    assert signed_in(sign_in(operator.email, PASSWORD))


def test_the_admin_lists_lockouts_and_lifts_them(operator: StaffUser) -> None:
    for _ in range(5):
        sign_in("victim@kizuna.example", "guess")
    admin = Client()
    admin.force_login(operator)
    assert "victim@kizuna.example" in admin.get("/admin/accounts/signinlockout/").content.decode()
    lockout = SignInLockout.objects.get()
    admin.post(
        "/admin/accounts/signinlockout/",
        {"action": "lift", "_selected_action": [lockout.pk]},
    )
    lockout.refresh_from_db()
    assert lockout.lifted_by == operator.email


def test_failures_are_counted_in_the_cache_not_the_database(operator: StaffUser) -> None:
    for _ in range(4):
        sign_in(operator.email, "wrong")
    assert not SignInLockout.objects.exists()
    verdict = throttle.peek("signin:account:ops@kizuna.example", (4, 900))
    assert not verdict.allowed
