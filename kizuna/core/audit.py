"""The audit log: who (a staff user, an API key, the system) did what to which object, with
the object before and after, written in the transaction of the change.

Services that change something a person might question take an `Actor` and call `record`;
the API layer gives the actor of a request (`kizuna.core.http.actor_of`)."""

from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from kizuna.core.logging import request_id_var
from kizuna.core.models import AuditEntry, Workspace

ACTOR_TYPES = ("staff", "api_key", "system")


@dataclass(frozen=True)
class Actor:
    type: str  # one of ACTOR_TYPES
    id: str

    def __post_init__(self) -> None:
        if self.type not in ACTOR_TYPES:
            raise ValueError(f"Unknown actor type {self.type!r}.")


SYSTEM = Actor("system", "")

_encoder = DjangoJSONEncoder()


def jsonable(value: Any) -> Any:
    """A snapshot as the audit log stores it: JSON, with times, dates and decimals as the API
    writes them."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return _encoder.default(value)


def record(
    workspace: Workspace | int,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str,
    *,
    before: Any = None,
    after: Any = None,
    reason: str = "",
) -> AuditEntry:
    if not connection.in_atomic_block:
        raise RuntimeError("An audit entry is written in the transaction of its change.")
    request_id = request_id_var.get()
    return AuditEntry.objects.create(
        workspace_id=workspace if isinstance(workspace, int) else workspace.pk,
        actor_type=actor.type,
        actor_id=actor.id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=jsonable(before),
        after=jsonable(after),
        reason=reason,
        request_id="" if request_id == "-" else request_id,
    )


def list_entries(
    workspace: Workspace,
    *,
    object_type: str | None,
    object_id: str | None,
    actor: str | None,
    since: Any,
    until: Any,
    cursor: str | None,
    limit: int | None,
) -> tuple[list[AuditEntry], str | None]:
    """The workspace's audit entries, newest first, filtered. `actor` is `type:id` (as
    `api_key:sk_AbCdEfG`) or an id alone."""
    from kizuna.core.pagination import keyset_page

    entries = AuditEntry.objects.for_workspace(workspace)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(object_id=object_id)
    if actor:
        kind, _, ident = actor.partition(":")
        entries = (
            entries.filter(actor_type=kind, actor_id=ident)
            if ident
            else entries.filter(actor_id=actor)
        )
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    if until is not None:
        entries = entries.filter(created_at__lt=until)
    return keyset_page(
        entries, fields=("created_at", "id"), descending=True, cursor=cursor, limit=limit
    )
