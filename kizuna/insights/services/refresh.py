"""Refreshing a segment: who is in it now, who entered and who left (ADR 0017).

The refresh of a materialized segment is set-based SQL in one transaction, with the segment's
row locked so that two refreshes of one segment run one after the other:

1. the condition, compiled, selects the matching customers into a temporary table, once;
2. UPDATE the current memberships whose customer is not in it: left_at = now;
3. INSERT ... SELECT the matching customers without a current membership: entered_at = now;
4. emit `segment.entered` and `segment.left` for those rows through the outbox, in bulk;
5. record the refresh (size, entered, left, duration) and the segment's size.

A unique index (one current membership per segment and customer) holds the line should two
refreshes ever overlap. A live segment's refresh only counts and records its size."""

import logging
import time
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import CharField, F, QuerySet, Value

from kizuna.core import events as outbox
from kizuna.core.clock import now
from kizuna.core.models import Workspace
from kizuna.customers.models import Customer
from kizuna.insights import events
from kizuna.insights.locks import lock_segment, lock_segment_by_pk
from kizuna.insights.matching import analytic_session, matching_customers
from kizuna.insights.models import Segment, SegmentMembership, SegmentRefresh

logger = logging.getLogger(__name__)


def _api_time(moment: datetime) -> str:
    """A time as the API writes it (milliseconds, Z)."""
    text: str = DjangoJSONEncoder().default(moment)
    return text


MATCHES = "kizuna_segment_matches"


def _apply_membership(segment: Segment, matching: QuerySet[Customer], moment: datetime) -> None:
    """The set-based difference: the matching customers go into a temporary table once, then
    one UPDATE closes the memberships of those who left and one INSERT ... SELECT opens
    those of who entered."""
    members = SegmentMembership._meta.db_table
    select_sql, select_params = matching.values_list("pk").query.sql_with_params()
    at = connection.ops.adapt_datetimefield_value(moment)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {MATCHES}")
        cursor.execute(f"CREATE TEMPORARY TABLE {MATCHES} (customer_id bigint PRIMARY KEY)")
        cursor.execute(f"INSERT INTO {MATCHES} (customer_id) {select_sql}", select_params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {MATCHES}")
        cursor.execute(
            # Table names only are formatted in; every value is a parameter.
            f"UPDATE {members} SET left_at = %s WHERE segment_id = %s AND left_at IS NULL "  # noqa: S608
            f"AND NOT EXISTS (SELECT 1 FROM {MATCHES} m "
            f"WHERE m.customer_id = {members}.customer_id)",
            [at, segment.pk],
        )
        cursor.execute(
            f"INSERT INTO {members} (workspace_id, segment_id, customer_id, entered_at) "  # noqa: S608
            f"SELECT %s, %s, m.customer_id, %s FROM {MATCHES} m WHERE NOT EXISTS ("
            f"SELECT 1 FROM {members} s WHERE s.segment_id = %s "
            f"AND s.customer_id = m.customer_id AND s.left_at IS NULL)",
            [segment.workspace_id, segment.pk, at, segment.pk],
        )
        cursor.execute(f"DROP TABLE {MATCHES}")


def _announce(segment: Segment, moment: datetime) -> tuple[int, int]:
    """One event per customer who entered or left at `moment`, written by the database in
    one INSERT ... SELECT each; returns the counts."""
    stamp = Value(_api_time(moment), output_field=CharField())
    key = Value(segment.key, output_field=CharField())
    rows = SegmentMembership.objects.filter(segment=segment).order_by("customer_id")
    customer = F("customer__external_id")
    entered = outbox.emit_for_rows(
        segment.workspace,
        events.SegmentEntered,
        rows.filter(entered_at=moment, left_at__isnull=True),
        {"segment_id": key, "customer_id": customer, "entered_at": stamp},
    )
    left = outbox.emit_for_rows(
        segment.workspace,
        events.SegmentLeft,
        rows.filter(left_at=moment),
        {"segment_id": key, "customer_id": customer, "left_at": stamp},
    )
    return entered, left


def _refresh_locked(segment: Segment, trigger: str, *, announce: bool) -> SegmentRefresh:
    started = time.monotonic()
    moment = now()
    analytic_session()
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
    with transaction.atomic(savepoint=False):
        segment = lock_segment(workspace, key)
        segment.workspace = workspace
        return _refresh_locked(segment, trigger, announce=True)


def refresh_segment_by_pk(
    segment_pk: int, trigger: str, *, announce: bool = True
) -> SegmentRefresh | None:
    """Refresh one segment, given its row id (tasks, the periodic command, the demo). None
    when the segment was deleted in the meantime."""
    with transaction.atomic(savepoint=False):
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
