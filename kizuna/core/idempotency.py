"""Idempotency-Key bookkeeping. A key is claimed (committed at once) before the request runs;
its response is stored inside the request's own transaction, so a crash leaves either both the
change and the stored response, or neither (and the claim expires so a retry can run)."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

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


def claim(workspace_id: int, key: str, method: str, path: str, fp: str) -> Claim:
    lock_seconds = settings.KIZUNA_IDEMPOTENCY_LOCK_SECONDS
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                workspace_id=workspace_id,
                key=key,
                fingerprint=fp,
                method=method,
                path=path,
                locked_until=now() + timedelta(seconds=lock_seconds),
            )
        return Claim(record, replay=False)
    except IntegrityError:
        pass
    record = IdempotencyRecord.objects.for_workspace(workspace_id).get(key=key)
    if record.fingerprint != fp:
        raise ValidationFailed(
            "This Idempotency-Key was already used with a different request.",
            code="idempotency_key_reused",
            field="Idempotency-Key",
        )
    if record.state == IdempotencyRecord.State.COMPLETED:
        return Claim(record, replay=True)
    # Still in progress. Take it over only if its holder is presumed dead (its lock expired):
    # a conditional UPDATE, so of two retries exactly one wins.
    taken = IdempotencyRecord.objects.filter(
        pk=record.pk,
        state=IdempotencyRecord.State.IN_PROGRESS,
        locked_until__lt=now(),
    ).update(locked_until=now() + timedelta(seconds=lock_seconds))
    if taken:
        record.refresh_from_db()
        return Claim(record, replay=False)
    raise Conflict(
        "A request with this Idempotency-Key is still in progress; retry later.",
        code="request_in_progress",
        field="Idempotency-Key",
    )


def complete(record: IdempotencyRecord, status: int, body: bytes, content_type: str) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        state=IdempotencyRecord.State.COMPLETED,
        response_status=status,
        response_body=body,
        response_content_type=content_type,
    )


def release(record: IdempotencyRecord) -> None:
    IdempotencyRecord.objects.filter(
        pk=record.pk, state=IdempotencyRecord.State.IN_PROGRESS
    ).delete()


def purge_expired() -> int:
    cutoff = now() - timedelta(hours=settings.KIZUNA_IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
