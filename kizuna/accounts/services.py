import hashlib
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q

from kizuna.accounts.errors import InvalidRole, StaffExists, WorkspaceExists
from kizuna.accounts.models import ApiKey, Membership, Role, SignInLockout, StaffUser
from kizuna.core import throttle
from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace

_ALPHABET = string.ascii_letters + string.digits
_KEY_PREFIX = {ApiKey.Kind.SERVER: "sk_", ApiKey.Kind.PUBLISHABLE: "pk_"}


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    secret: str


def issue_api_key(workspace: Workspace, kind: ApiKey.Kind, name: str = "default") -> IssuedKey:
    secret = _KEY_PREFIX[kind] + "".join(secrets.choice(_ALPHABET) for _ in range(40))
    api_key = ApiKey.objects.create(
        workspace=workspace, kind=kind, name=name, prefix=secret[:10], key_hash=hash_key(secret)
    )
    return IssuedKey(api_key=api_key, secret=secret)


@dataclass(frozen=True)
class NewWorkspace:
    workspace: Workspace
    server_key: str
    publishable_key: str


def create_workspace(slug: str, name: str | None = None, currency: str = "USD") -> NewWorkspace:
    from django.core.validators import validate_slug

    try:
        validate_slug(slug)
    except Exception as exc:
        raise ValidationFailed(
            "A workspace slug has letters, digits, hyphens and underscores only.",
            code="invalid_slug",
            field="slug",
        ) from exc
    try:
        with transaction.atomic():
            workspace = Workspace.objects.create(
                slug=slug, name=name or slug, default_currency=currency
            )
            server = issue_api_key(workspace, ApiKey.Kind.SERVER)
            publishable = issue_api_key(workspace, ApiKey.Kind.PUBLISHABLE)
    except IntegrityError as exc:
        raise WorkspaceExists(f"A workspace {slug!r} exists already.", field="slug") from exc
    return NewWorkspace(workspace, server.secret, publishable.secret)


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def create_staff(
    email: str, workspace: Workspace, role: str, password: str | None = None
) -> tuple[StaffUser, str]:
    if role not in Role.values:
        raise InvalidRole(
            f"{role!r} is not a role; use one of {', '.join(Role.values)}.", field="role"
        )
    password = password or generate_password()
    try:
        with transaction.atomic():
            user = StaffUser.objects.create_user(email=email, password=password)
            Membership.objects.create(workspace=workspace, user=user, role=role)
    except IntegrityError as exc:
        raise StaffExists(f"A staff user {email!r} exists already.", field="email") from exc
    return user, password


def api_key_cache_key(key_hash: str) -> str:
    return f"kizuna:api-key:{key_hash}"


def touch_api_key(api_key: ApiKey) -> None:
    """Record use at most once a minute, so busy keys do not write on every request."""
    moment = now()
    if api_key.last_used_at is None or moment - api_key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=moment)
        api_key.last_used_at = moment
        cache_key = api_key_cache_key(api_key.key_hash)
        if cache.get(cache_key) is not None:
            cache.set(cache_key, api_key, settings.KIZUNA_API_KEY_CACHE_SECONDS)


def revoke_api_key(api_key: ApiKey) -> None:
    """Revoke the key: refused from now on (its cached lookup is removed with it)."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=now())
    cache.delete(api_key_cache_key(api_key.key_hash))


# ------------------------------------------------------------------ staff sign-in throttle
# Failures are counted in the cache per account (email) and per client address; past the
# limit, a lock-out is recorded (SignInLockout) and refuses every sign-in of that account,
# or from that address, even with the right password, until it ends or an owner lifts it.


@dataclass(frozen=True)
class Lockout:
    until: datetime

    @property
    def seconds_left(self) -> int:
        return max(1, int((self.until - now()).total_seconds()) + 1)


def _subjects(email: str, address: str | None) -> list[tuple[str, str]]:
    subjects: list[tuple[str, str]] = [(SignInLockout.Kind.ACCOUNT, email.strip().lower())]
    if address is not None:
        subjects.append((SignInLockout.Kind.ADDRESS, address))
    return subjects


def sign_in_lockout(email: str, address: str | None) -> Lockout | None:
    """The lock-out in force for this account or this address, if any (the later one)."""
    condition = Q()
    for kind, subject in _subjects(email, address):
        condition |= Q(kind=kind, subject=subject)
    until = (
        SignInLockout.objects.filter(condition, lifted_at__isnull=True, locked_until__gt=now())
        .order_by("-locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )
    return Lockout(until) if until is not None else None


def _failures_rate(kind: str) -> tuple[int, int]:
    allowed = (
        settings.KIZUNA_SIGNIN_FAILURES_PER_ACCOUNT
        if kind == SignInLockout.Kind.ACCOUNT
        else settings.KIZUNA_SIGNIN_FAILURES_PER_ADDRESS
    )
    # The failure that reaches the limit is the one refused: it locks.
    return max(0, allowed - 1), settings.KIZUNA_SIGNIN_WINDOW_SECONDS


def record_failed_sign_in(email: str, address: str | None) -> Lockout | None:
    """Count a failed sign-in; the lock-out it caused, if it reached a limit."""
    caused = None
    for kind, subject in _subjects(email, address):
        rate = _failures_rate(kind)
        verdict = throttle.hit(f"signin:{kind}:{subject}", rate, refund_refused=False)
        if verdict.allowed:
            continue
        until = now() + timedelta(seconds=settings.KIZUNA_SIGNIN_LOCKOUT_SECONDS)
        SignInLockout.objects.create(
            kind=kind, subject=subject[:254], failures=rate[0] + 1, locked_until=until
        )
        throttle.forget(f"signin:{kind}:{subject}", rate)
        caused = Lockout(until)
    return caused


def record_sign_in(email: str) -> None:
    """A successful sign-in clears the account's failures (not its address's)."""
    kind = SignInLockout.Kind.ACCOUNT
    throttle.forget(f"signin:{kind}:{email.strip().lower()}", _failures_rate(kind))


def lift_lockouts(*, email: str | None = None, address: str | None = None, by: str) -> int:
    """Lift the lock-outs in force for the account and/or the address, and clear their
    failures; the number lifted."""
    lifted = 0
    for kind, subject in [
        (SignInLockout.Kind.ACCOUNT, email.strip().lower() if email else None),
        (SignInLockout.Kind.ADDRESS, address),
    ]:
        if subject is None:
            continue
        lifted += SignInLockout.objects.filter(
            kind=kind, subject=subject, lifted_at__isnull=True, locked_until__gt=now()
        ).update(lifted_at=now(), lifted_by=by[:254])
        throttle.forget(f"signin:{kind}:{subject}", _failures_rate(kind))
    return lifted
