import hashlib
import secrets
import string
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction

from kizuna.accounts.errors import InvalidRole, StaffExists, WorkspaceExists
from kizuna.accounts.models import ApiKey, Membership, Role, StaffUser
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
