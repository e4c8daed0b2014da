"""Refreshing a segment: who is in it now, who entered and who left (ADR 0017).

The refresh of a materialized segment is set-based SQL in one transaction, with the segment's
row locked so that two refreshes of one segment run one after the other:

1. UPDATE the current memberships whose customer no longer matches: left_at = now
   (WHERE NOT EXISTS a matching customer);
2. INSERT ... SELECT the matching customers without a current membership: entered_at = now;
3. emit `segment.entered` and `segment.left` for those rows through the outbox, in bulk;
4. record the refresh (size, entered, left, duration) and the segment's size.

A unique index (one current membership per segment and customer) holds the line should two
refreshes ever overlap. A live segment's refresh only counts and records its size."""

import logging
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import DateTimeField, Exists, IntegerField, OuterRef, QuerySet, Value

from kizuna.core import events as outbox
from kizuna.core.clock import now
from kizuna.core.conditions import compile_condition
from kizuna.core.models import Workspace
from kizuna.customers.models import Customer
from kizuna.customers.selectors import listed_customers
from kizuna.insights import events
from kizuna.insights.locks import lock_segment, lock_segment_by_pk
from kizuna.insights.models import Segment, SegmentMembership, SegmentRefresh
from kizuna.insights.services.segments import check_condition

logger = logging.getLogger(__name__)


def workspace_tz(workspace: Workspace) -> Any:
    try:
        return ZoneInfo(workspace.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def matching_customers(
    workspace: Workspace, condition_data: Any, *, moment: datetime | None = None
) -> QuerySet[Customer]:
    """The customers a segment's condition selects at `moment` (now by default)."""
    condition = check_condition(workspace, condition_data)
    q = compile_condition(
        condition, workspace=workspace, now=moment or now(), tz=workspace_tz(workspace)
    )
    # Erased customers keep the books only (ADR 0012): they belong to no segment.
    return listed_customers(workspace).prefetch_related(None).filter(q)


def _roomy_memory() -> None:
    """Let PostgreSQL hash the sets a refresh compares (the default work_mem of 4 MB turns
    `NOT IN (a large subquery)` into a scan per row). For this transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")


def _api_time(moment: datetime) -> str:
    """A time as the API writes it (milliseconds, Z)."""
    text: str = DjangoJSONEncoder().default(moment)
    return text


def _apply_membership(segment: Segment, matching: QuerySet[Customer], moment: datetime) -> None:
    current = SegmentMembership.objects.filter(segment=segment, left_at__isnull=True)
    current.filter(~Exists(matching.filter(pk=OuterRef("customer_id")))).update(left_at=moment)
    newcomers = matching.filter(~Exists(current.filter(customer_id=OuterRef("pk")))).values_list(
        Value(segment.workspace_id, output_field=IntegerField()),
        Value(segment.pk, output_field=IntegerField()),
        "pk",
        Value(moment, output_field=DateTimeField()),
    )
    select_sql, params = newcomers.query.sql_with_params()
    table = SegmentMembership._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (workspace_id, segment_id, customer_id, entered_at) {select_sql}",
            params,
        )


def _announce(segment: Segment, moment: datetime) -> tuple[int, int]:
    """Emit one event per customer who entered or left at `moment`; returns the counts."""
    stamp = _api_time(moment)
    rows = SegmentMembership.objects.filter(segment=segment)
    entered_ids = (
        rows.filter(entered_at=moment, left_at__isnull=True)
        .values_list("customer__external_id", flat=True)
        .order_by("customer_id")
    )
    left_ids = (
        rows.filter(left_at=moment)
        .values_list("customer__external_id", flat=True)
        .order_by("customer_id")
    )
    entered = outbox.emit_many(
        segment.workspace,
        (
            events.SegmentEntered(segment_id=segment.key, customer_id=cid, entered_at=stamp)
            for cid in entered_ids.iterator(chunk_size=2000)
        ),
    )
    left = outbox.emit_many(
        segment.workspace,
        (
            events.SegmentLeft(segment_id=segment.key, customer_id=cid, left_at=stamp)
            for cid in left_ids.iterator(chunk_size=2000)
        ),
    )
    return entered, left


def _refresh_locked(segment: Segment, trigger: str, *, announce: bool) -> SegmentRefresh:
    started = time.monotonic()
    moment = now()
    _roomy_memory()
    matching = matching_customers(segment.workspace, segment.condition, moment=moment)
    entered = left = 0
    if segment.materialized:
        _apply_membership(segment, matching, moment)
        if announce:
            entered, left = _announce(segment, moment)
        else:
            members = SegmentMembership.objects.filter(segment=segment)
            entered = members.filter(entered_at=moment, left_at__isnull=True).count()
            left = members.filter(left_at=moment).count()
        size = SegmentMembership.objects.filter(segment=segment, left_at__isnull=True).count()
    else:
        size = matching.count()
    finished = now()
    refresh = SegmentRefresh.objects.create(
        workspace=segment.workspace,
        segment=segment,
        trigger=trigger,
        size=size,
        entered=entered,
        left=left,
        started_at=moment,
        finished_at=finished,
        duration_ms=round((time.monotonic() - started) * 1000),
    )
    Segment.objects.filter(pk=segment.pk).update(size=size, refreshed_at=moment)
    segment.size, segment.refreshed_at = size, moment
    return refresh


def refresh_segment(
    workspace: Workspace, key: str, trigger: str = SegmentRefresh.Trigger.API
) -> SegmentRefresh:
    """Refresh one segment now (POST /segments/{id}/refresh)."""
    with transaction.atomic():
        segment = lock_segment(workspace, key)
        segment.workspace = workspace
        return _refresh_locked(segment, trigger, announce=True)


def refresh_segment_by_pk(
    segment_pk: int, trigger: str, *, announce: bool = True
) -> SegmentRefresh | None:
    """Refresh one segment, given its row id (tasks, the periodic command, the demo). None
    when the segment was deleted in the meantime."""
    with transaction.atomic():
        segment = lock_segment_by_pk(segment_pk)
        if segment is None:
            return None
        return _refresh_locked(segment, trigger, announce=announce)


def materialized_segments(workspace: Workspace | None = None) -> list[int]:
    """The row ids of the materialized segments (of one workspace, or all), oldest first."""
    segments = Segment.objects.filter(materialized=True)
    if workspace is not None:
        segments = segments.filter(workspace=workspace)
    return list(segments.order_by("pk").values_list("pk", flat=True))
