"""Idempotency-Key bookkeeping, inside the request's own transaction: one commit per request.

A request with a key first takes a transaction-scoped lock on the key (on PostgreSQL an
advisory lock, which a second request with the key finds taken: 409 `request_in_progress`;
on SQLite the database's single write lock already runs one write at a time). Holding it, it
reads the key's stored response: the same request replays it, another request with the key
is 422. Otherwise the request runs, and its response is stored in the same transaction as its
writes. A crash rolls both back and its lock goes with its connection, so a retry runs at
once; no claim is ever left behind."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection

from kizuna.core.clock import now
from kizuna.core.errors import Conflict, ValidationFailed
from kizuna.core.models import IdempotencyRecord, one_or_none

MAX_KEY_LENGTH = 255


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters.",
            code="invalid_idempotency_key",
            field="Idempotency-Key",
        )
    if "," in key:
        # HTTP servers join a header sent twice with a comma: which key was meant is unknown.
        raise ValidationFailed(
            "Send one Idempotency-Key header, without commas: two headers arrive joined by one.",
            code="invalid_idempotency_key",
            field="Idempotency-Key",
        )
    return key


@dataclass(frozen=True)
class Key:
    """An Idempotency-Key as the API layer received it. `scope` separates the keys of
    different kinds of API key: a browser's publishable key must never be handed a response
    stored for a server key's request, nor learn which keys a server used."""

    workspace_id: int
    scope: str
    key: str
    method: str
    path: str
    fingerprint: str

    @property
    def lock_id(self) -> int:
        """A signed 64-bit number for the key, as PostgreSQL's advisory locks take."""
        digest = hashlib.sha256(f"{self.workspace_id}:{self.scope}:{self.key}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)


def in_progress() -> Conflict:
    return Conflict(
        "A request with this Idempotency-Key is still in progress; retry later.",
        code="request_in_progress",
        field="Idempotency-Key",
    )


def begin(key: Key) -> IdempotencyRecord | None:
    """Inside the request's transaction: lock the key, then return its stored response to
    replay, or None when the request is to run. Raises 409 when another request holds the
    key, 422 when the key was used for another request."""
    if not connection.in_atomic_block:
        raise RuntimeError("An Idempotency-Key is taken inside the request's transaction.")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key.lock_id])
            (locked,) = cursor.fetchone()
        if not locked:
            raise in_progress()
    # Read after the lock is held: the statement's snapshot then includes the response of a
    # request that held the key before and committed.
    stored = one_or_none(
        IdempotencyRecord.objects.for_workspace(key.workspace_id).filter(
            scope=key.scope, key=key.key
        )
    )
    if stored is None:
        return None
    if stored.created_at < now() - timedelta(hours=settings.KIZUNA_IDEMPOTENCY_TTL_HOURS):
        # Past its time to live (the purge has not come by yet): the key is free again.
        stored.delete()
        return None
    if stored.fingerprint != key.fingerprint:
        raise ValidationFailed(
            "This Idempotency-Key was already used with a different request.",
            code="idempotency_key_reused",
            field="Idempotency-Key",
        )
    return stored


def store(key: Key, status: int, body: bytes, content_type: str) -> IdempotencyRecord:
    """Store the response, in the transaction of the request's writes (the key is held)."""
    return IdempotencyRecord.objects.create(
        workspace_id=key.workspace_id,
        scope=key.scope,
        key=key.key,
        fingerprint=key.fingerprint,
        method=key.method,
        path=key.path,
        response_status=status,
        response_body=body,
        response_content_type=content_type,
    )


def purge_expired() -> int:
    cutoff = now() - timedelta(hours=settings.KIZUNA_IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
