"""HTTP handlers of the shared kernel: the audit log."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from kizuna.core import audit
from kizuna.core.http import workspace_of
from kizuna.core.schemas import IsoDateTime, Page, PageParams, page, with_errors

# Mounted by kizuna.api with server-key auth at /v1/audit-log.
SINCE = Query(default=None, alias="from", description="Entries from this time on.")
UNTIL = Query(default=None, alias="to", description="Entries before this time.")
audit_router = Router(tags=["audit"])


class ActorOut(Schema):
    type: str = Field(description="staff, api_key or system")
    id: str


class AuditObjectOut(Schema):
    type: str
    id: str


class AuditEntryOut(Schema):
    id: str
    actor: ActorOut
    action: str
    object: AuditObjectOut
    before: Any
    after: Any
    reason: str
    request_id: str
    created_at: datetime

    @staticmethod
    def resolve_id(entry: Any) -> str:
        return str(entry.pk)

    @staticmethod
    def resolve_actor(entry: Any) -> dict[str, str]:
        return {"type": entry.actor_type, "id": entry.actor_id}

    @staticmethod
    def resolve_object(entry: Any) -> dict[str, str]:
        return {"type": entry.object_type, "id": entry.object_id}


@audit_router.get(
    "",
    response=with_errors({200: Page[AuditEntryOut]}),
    summary="Who changed what, newest first",
)
def list_audit_log(
    request: HttpRequest,
    page_params: Query[PageParams],
    object_type: str | None = Query(default=None, max_length=64),
    object_id: str | None = Query(default=None, max_length=128),
    actor: str | None = Query(default=None, max_length=150, description="type:id, or an id"),
    since: IsoDateTime | None = SINCE,
    until: IsoDateTime | None = UNTIL,
) -> Any:
    return page(
        *audit.list_entries(
            workspace_of(request),
            object_type=object_type,
            object_id=object_id,
            actor=actor,
            since=since,
            until=until,
            cursor=page_params.cursor,
            limit=page_params.limit,
        )
    )
