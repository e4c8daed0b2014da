"""Segments: created, changed and deleted. `check_*` validate and raise; the others write,
inside one transaction each. A materialized segment is refreshed after commit by a task
(services/refresh.py) whenever its condition changes or it becomes materialized."""

import secrets
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from kizuna.core.clock import now
from kizuna.core.errors import ValidationFailed
from kizuna.core.models import Workspace
from kizuna.core.text import UNSTORABLE
from kizuna.core.upsert import insert_new
from kizuna.insights.errors import SegmentExists
from kizuna.insights.locks import lock_segment
from kizuna.insights.matching import check_condition
from kizuna.insights.models import SEGMENT_ID, Segment, SegmentRefresh

MAX_NAME = 200
MAX_DESCRIPTION = 2000


def check_segment_id(value: Any, field: str = "id") -> str:
    if not isinstance(value, str) or not SEGMENT_ID.fullmatch(value):
        raise ValidationFailed(
            "Segment ids are 1 to 64 characters: lower-case letters, digits, '_' and '-', "
            "starting with a letter or a digit.",
            code="invalid_id",
            field=field,
        )
    return value


def _check_text(value: Any, field: str, limit: int, *, required: bool) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValidationFailed(f"{field} is required text.", code="required", field=field)
    if len(value) > limit:
        raise ValidationFailed(
            f"{field} is at most {limit} characters.", code="too_long", field=field
        )
    if UNSTORABLE.search(value):
        raise ValidationFailed(
            "Text may not contain NUL or unpaired surrogate characters.",
            code="invalid_character",
            field=field,
        )
    return value


def _check_materialized(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailed(
            "materialized is true or false.", code="invalid_type", field="materialized"
        )
    return value


def _refresh_after_commit(segment: Segment) -> None:
    from kizuna.insights.tasks import refresh_segment

    segment_pk = segment.pk
    transaction.on_commit(
        lambda: refresh_segment.enqueue(segment_pk, SegmentRefresh.Trigger.CHANGE), robust=True
    )


def create_segment(
    workspace: Workspace, data: Mapping[str, Any], *, refresh_after_commit: bool = True
) -> Segment:
    """A new segment (409 segment_exists when its id is taken). A materialized one is
    refreshed after commit, by a task (unless the caller refreshes it itself)."""
    key = data.get("id")
    key = check_segment_id(key) if key is not None else f"seg_{secrets.token_hex(6)}"
    name = _check_text(data.get("name"), "name", MAX_NAME, required=True)
    description = _check_text(
        data.get("description") or "", "description", MAX_DESCRIPTION, required=False
    )
    check_condition(workspace, data.get("condition"))
    materialized = _check_materialized(data.get("materialized", False))
    moment = now()
    segment = insert_new(
        SegmentExists(f"A segment {key!r} exists already.", field="id"),
        Segment(
            workspace=workspace,
            key=key,
            name=name,
            description=description,
            condition=data.get("condition"),
            materialized=materialized,
            created_at=moment,
            updated_at=moment,
        ),
        workspace=workspace,
        key=key,
    )
    if materialized and refresh_after_commit:
        _refresh_after_commit(segment)
    return segment


def update_segment(workspace: Workspace, key: str, data: Mapping[str, Any]) -> Segment:
    """Change a segment's name, description, condition or materialization. A changed
    condition, or a segment that becomes materialized, is refreshed after commit."""
    changes: dict[str, Any] = {}
    if "name" in data:
        changes["name"] = _check_text(data["name"], "name", MAX_NAME, required=True)
    if "description" in data:
        changes["description"] = _check_text(
            data["description"] or "", "description", MAX_DESCRIPTION, required=False
        )
    if "condition" in data:
        check_condition(workspace, data["condition"])
        changes["condition"] = data["condition"]
    if "materialized" in data:
        changes["materialized"] = _check_materialized(data["materialized"])
    with transaction.atomic(savepoint=False):
        segment = lock_segment(workspace, key)
        changed = [name for name, value in changes.items() if getattr(segment, name) != value]
        if not changed:
            return segment
        for name in changed:
            setattr(segment, name, changes[name])
        segment.updated_at = now()
        segment.save(update_fields=[*changed, "updated_at"])
        if segment.materialized and ("condition" in changed or "materialized" in changed):
            _refresh_after_commit(segment)
    return segment


def delete_segment(workspace: Workspace, key: str) -> None:
    """Delete a segment with its membership history and refreshes. No `segment.left`
    events: the segment is gone, not its members."""
    with transaction.atomic(savepoint=False):
        segment = lock_segment(workspace, key)
        segment.delete()
