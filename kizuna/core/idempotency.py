"""Idempotency-Key bookkeeping. A key is claimed (committed at once) before the request runs;
its response is stored inside the request's own transaction, so a crash leaves either both the
change and the stored response, or neither (and the claim expires so a retry can run)."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from kizuna.core.clock import now
from kizuna.core.errors import Conflict, ValidationFailed
from kizuna.core.models import IdempotencyRecord

MAX_KEY_LENGTH = 255


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True)
class Claim:
    record: IdempotencyRecord
    replay: bool


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters.",
            code="invalid_idempotency_key",
            field="Idempotency-Key",
        )
    return key


CLAIM_ATTEMPTS = 3


def claim(
    workspace_id: int, key: str, method: str, path: str, fp: str, scope: str = "server"
) -> Claim:
    """Claim `key` for a request, or find it completed (replay) or taken (409).

    `scope` separates the keys of different kinds of API key: a browser's publishable key
    must never be handed a response stored for a server key's request, nor learn which keys
    a server used."""
    for _ in range(CLAIM_ATTEMPTS):
        result = _try_claim(workspace_id, scope, key, method, path, fp)
        if result is not None:
            return result
    # The key was freed and taken again between each of our reads: someone holds it now.
    raise in_progress()


def _try_claim(
    workspace_id: int, scope: str, key: str, method: str, path: str, fp: str
) -> Claim | None:
    """A claim, or None when the key's record vanished after our insert collided with it
    (its holder failed and freed it) or had outlived its time to live: the caller tries
    again."""
    lock_seconds = settings.KIZUNA_IDEMPOTENCY_LOCK_SECONDS
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                workspace_id=workspace_id,
                scope=scope,
                key=key,
                fingerprint=fp,
                method=method,
                path=path,
                locked_until=now() + timedelta(seconds=lock_seconds),
            )
        return Claim(record, replay=False)
    except IntegrityError:
        pass
    existing = (
        IdempotencyRecord.objects.for_workspace(workspace_id).filter(scope=scope, key=key).first()
    )
    if existing is None:
        return None
    if existing.created_at < now() - timedelta(hours=settings.KIZUNA_IDEMPOTENCY_TTL_HOURS):
        # Past its time to live (the purge has not come by yet): the key is free again.
        IdempotencyRecord.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
        return None
    if existing.fingerprint != fp:
        raise ValidationFailed(
            "This Idempotency-Key was already used with a different request.",
            code="idempotency_key_reused",
            field="Idempotency-Key",
        )
    if existing.state == IdempotencyRecord.State.COMPLETED:
        return Claim(existing, replay=True)
    # Still in progress. Take it over only if its holder is presumed dead (its lock expired):
    # a conditional UPDATE, so of two retries exactly one wins. The new locked_until is the
    # new holder's token: the old holder, should it still be alive, can then neither store
    # its response nor free the key.
    locked_until = now() + timedelta(seconds=lock_seconds)
    taken = IdempotencyRecord.objects.filter(
        pk=existing.pk,
        state=IdempotencyRecord.State.IN_PROGRESS,
        locked_until__lt=now(),
    ).update(locked_until=locked_until)
    if taken:
        existing.locked_until = locked_until
        return Claim(existing, replay=False)
    raise in_progress()


def in_progress() -> Conflict:
    return Conflict(
        "A request with this Idempotency-Key is still in progress; retry later.",
        code="request_in_progress",
        field="Idempotency-Key",
    )


def _held(record: IdempotencyRecord) -> "QuerySet[IdempotencyRecord]":
    """The record, as long as the claim `record` stands for is still the current one."""
    return IdempotencyRecord.objects.filter(
        pk=record.pk,
        state=IdempotencyRecord.State.IN_PROGRESS,
        locked_until=record.locked_until,
    )


def complete(record: IdempotencyRecord, status: int, body: bytes, content_type: str) -> bool:
    """Store the response. False when the claim was lost (its lock expired and a retry took
    the key over): the caller must then roll its work back."""
    stored = _held(record).update(
        state=IdempotencyRecord.State.COMPLETED,
        response_status=status,
        response_body=body,
        response_content_type=content_type,
    )
    return stored == 1


def release(record: IdempotencyRecord) -> None:
    """Free the key for a retry (the request failed and wrote nothing)."""
    _held(record).delete()


def purge_expired() -> int:
    cutoff = now() - timedelta(hours=settings.KIZUNA_IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
