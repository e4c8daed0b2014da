"""Reads of the insights app. Every query is scoped with `for_workspace`."""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Window

from kizuna.core.conditions import FieldSpec, registry
from kizuna.core.models import Workspace
from kizuna.core.pagination import keyset_page
from kizuna.customers.models import Customer
from kizuna.customers.selectors import listed_customers
from kizuna.insights.errors import SegmentNotFound, SegmentNotFoundFilter
from kizuna.insights.matching import analytic_session, matching_customers
from kizuna.insights.models import Segment, SegmentMembership

PREVIEW_SAMPLE = 10


def condition_fields(workspace: Workspace) -> list[FieldSpec]:
    """Every field a condition may name in this workspace (its attributes resolved)."""
    return registry.describe(workspace)


def get_segment(workspace: Workspace, key: str) -> Segment:
    segment = Segment.objects.for_workspace(workspace).filter(key=key).first()
    if segment is None:
        raise SegmentNotFound(f"No segment {key!r}.", field="segment_id")
    return segment


def list_segments(
    workspace: Workspace, *, cursor: str | None, limit: int | None
) -> tuple[list[Segment], str | None]:
    queryset = Segment.objects.for_workspace(workspace)
    return keyset_page(queryset, fields=("key",), descending=False, cursor=cursor, limit=limit)


def members_filter(workspace: Workspace, segment: Segment) -> Q:
    """The segment's customers as a Q over customers: the current members of a materialized
    segment (as its last refresh left them), the condition compiled now for a live one."""
    if segment.materialized:
        current = SegmentMembership.objects.filter(
            segment=segment, customer_id=OuterRef("pk"), left_at__isnull=True
        )
        return Q(Exists(current))
    matching = matching_customers(workspace, segment.condition)
    return Q(pk__in=matching.values("pk"))


def segment_customers(
    workspace: Workspace, key: str, *, cursor: str | None, limit: int | None
) -> tuple[list[Customer], str | None]:
    segment = get_segment(workspace, key)
    with transaction.atomic(savepoint=False):
        analytic_session()
        queryset = listed_customers(workspace).filter(members_filter(workspace, segment))
        return keyset_page(queryset, fields=("id",), descending=False, cursor=cursor, limit=limit)


def segment_filter(workspace: Workspace, key: str) -> Q:
    """`GET /customers?segment=<id>` (registered with the customers app at start-up)."""
    segment = Segment.objects.for_workspace(workspace).filter(key=key).first()
    if segment is None:
        raise SegmentNotFoundFilter(f"No segment {key!r} in this workspace.", field="segment")
    return members_filter(workspace, segment)


@dataclass(frozen=True)
class Preview:
    count: int
    sample: list[Customer]


def preview(workspace: Workspace, condition_data: Any) -> Preview:
    """How many customers a condition selects now, and the first few of them, in one query
    (the count is a window over the whole selection). Saves nothing."""
    with transaction.atomic(savepoint=False):
        analytic_session()
        matching = matching_customers(workspace, condition_data)
        first = list(
            matching.annotate(total=Window(Count("pk")))
            .order_by("pk")
            .values_list("pk", "total")[:PREVIEW_SAMPLE]
        )
    count = first[0][1] if first else 0
    sample = listed_customers(workspace).filter(pk__in=[pk for pk, _ in first]).order_by("pk")
    return Preview(count=count, sample=list(sample) if first else [])
